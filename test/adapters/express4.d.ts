// Express 4, installed as the npm alias `express4` (devDependency `express4@npm:express@4`), has the same
// API as far as these tests use it: it is typed with Express 5's types.
declare module 'express4' {
  import express from 'express';
  export default express;
}
