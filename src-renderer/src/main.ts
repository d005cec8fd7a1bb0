import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { openAttune } from './lib/api.js';
import { Connection } from './lib/connection.svelte.js';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element to mount Attune in');
const connection = new Connection();
mount(App, { target, props: { connection } });
void connection.open(openAttune);
