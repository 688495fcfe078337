import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  SOURCE_PACKAGE,
  buildKernel,
  cachedKernel,
  kernelKey,
  kernelsDir
} from "./chunk-DDSF2BEA.js";
import "./chunk-IF45U7AT.js";
import "./chunk-LOTG6VG2.js";
import "./chunk-4POBWK4H.js";
import "./chunk-MPVBSXOT.js";
import "./chunk-KKVC5PX3.js";
import "./chunk-G3XLIV3Y.js";
import "./chunk-CRDCTHBJ.js";
import "./chunk-GYJEAFSS.js";
export {
  SOURCE_PACKAGE,
  buildKernel,
  cachedKernel,
  kernelKey,
  kernelsDir
};
