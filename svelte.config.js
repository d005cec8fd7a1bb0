/** Svelte compiler options shared by the build, the component tests, svelte-check and eslint. */
export default {
  compilerOptions: { runes: true },
};
