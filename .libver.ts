import { version } from "/work/wt/startup/mod.ts";
console.log(version);
