// undici through a module of ours: http.ts imports this at the first call to the IdP. A dynamic import of
// the CommonJS package itself would, in the bundle (scripts/build.ts), give its default export alone.
export { Agent, fetch } from 'undici';
