import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { openAttune } from './lib/api.js';
import { Connection } from './lib/connection.svelte.js';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element to mount Attune in');
const connection = new Connection();
// The desktop app's indicator window loads this page with #view=indicator (INDICATOR_FRAGMENT).
const view =
  new URLSearchParams(window.location.hash.slice(1)).get('view') === 'indicator' ? 'indicator' : 'main';
mount(App, { target, props: { connection, view } });
void connection.open(openAttune);
