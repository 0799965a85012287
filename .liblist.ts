import { list } from "/work/wt/startup/mod.ts";
console.log((await list()).length);
