// A failed body with keepOnFailure leaves the environment up.
umlEnv(config: env.CONFIG, keepOnFailure: true) {
    error 'failed on purpose'
}
