// A test in the body fails.
umlEnv(config: env.CONFIG) {
    sh 'umlenv exec solo -- sh -c "exit 3"'
}
