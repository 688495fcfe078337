import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  down,
  gc
} from "./chunk-4EEI723A.js";
import "./chunk-GLG4RYIR.js";
import "./chunk-AVK6SH7S.js";
import "./chunk-4POBWK4H.js";
import "./chunk-G3XLIV3Y.js";
import "./chunk-CRDCTHBJ.js";
import "./chunk-GYJEAFSS.js";
export {
  down,
  gc
};
