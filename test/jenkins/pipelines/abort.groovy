// Aborted while the body waits on a command in a machine (the test sends SIGINT).
umlEnv(config: env.CONFIG) {
    sh 'echo body-started; umlenv exec solo -- sleep 311'
}
