import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  down,
  gc
} from "./chunk-GVKFPLGF.js";
import "./chunk-FIZU24XG.js";
import "./chunk-EM4HQGYS.js";
import "./chunk-4POBWK4H.js";
import "./chunk-G3XLIV3Y.js";
import "./chunk-CRDCTHBJ.js";
import "./chunk-GYJEAFSS.js";
export {
  down,
  gc
};
