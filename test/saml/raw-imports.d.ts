/** Vite's `?raw` imports (fixture text bundled into the runtime smoke test, no fs). */
declare module '*?raw' {
  const content: string;
  export default content;
}
