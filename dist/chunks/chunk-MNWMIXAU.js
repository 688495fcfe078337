import { createRequire as __umlenvRequire } from 'node:module'; const require = __umlenvRequire(import.meta.url);
import {
  UmlenvError
} from "./chunk-CRDCTHBJ.js";

// src/environment/identity.ts
import { createHash } from "node:crypto";
import path from "node:path";
var ENV_ID = /^[a-z0-9][a-z0-9_.-]{0,39}$/;
var MAX = 40;
function hash(text, n = 6) {
  return createHash("sha256").update(text).digest("hex").slice(0, n);
}
function sanitize(text) {
  const clean = text.toLowerCase().replace(/[^a-z0-9_.-]+/g, "-").replace(/^[^a-z0-9]+|-+$/g, "");
  if (clean.length <= MAX) return clean || "env";
  return `${clean.slice(0, MAX - 7).replace(/-+$/, "")}-${hash(text)}`;
}
function environmentId(given, env = process.env, cwd = process.cwd()) {
  const explicit = given ?? env.UMLENV_ENV;
  if (explicit !== void 0) {
    if (!ENV_ID.test(explicit)) {
      throw new UmlenvError(
        `environment id ${JSON.stringify(explicit)} is not valid`,
        'use 1-40 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit'
      );
    }
    return explicit;
  }
  if (env.GITHUB_ACTIONS === "true" && env.GITHUB_RUN_ID) {
    return sanitize(
      `gh-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? "1"}-${env.GITHUB_JOB ?? "job"}`
    );
  }
  if (env.BUILD_TAG) return sanitize(`jk-${env.BUILD_TAG}-${env.EXECUTOR_NUMBER ?? "0"}`);
  return sanitize(`dir-${path.basename(cwd)}-${hash(cwd)}`);
}

export {
  environmentId
};
