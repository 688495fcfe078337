// The CLI cannot start a subset of machines yet, so the option fails before anything starts.
umlEnv(config: env.CONFIG, machines: ['frontend']) {
    echo 'never runs'
}
