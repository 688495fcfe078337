// Only api-run of the example starts, at the address it has when all three do.
umlEnv(config: env.CONFIG, machines: ['api-run']) {
    sh 'env | grep ^UMLENV_ADDR_ | sort'
    sh 'umlenv ps'
}
