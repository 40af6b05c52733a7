// Vite (and so vitest) imports any file as a string with the ?raw suffix; the golden-vector
// test reads docs/codecs.md this way to check that the spec lists the vectors it asserts.
declare module "*?raw" {
  const text: string;
  export default text;
}
