import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  ConfigError,
  loadConfig,
  parseConfig,
  parseDuration
} from "./chunk-J223LL36.js";
import "./chunk-MOGVDQLA.js";
import "./chunk-67RI6UJH.js";
import "./chunk-VO2LAO67.js";
import "./chunk-CRDCTHBJ.js";
import "./chunk-GYJEAFSS.js";
export {
  ConfigError,
  loadConfig,
  parseConfig,
  parseDuration
};
