// The body reaches the machines by name and by the addresses umlEnv exports.
umlEnv(config: env.CONFIG, cacheDir: env.CACHE_DIR) {
    sh 'env | grep ^UMLENV_ | sort'
    sh '''
        for m in api-build api-run frontend; do
            echo "guest $m $(umlenv exec $m -- hostname -I)"
        done
    '''
    sh 'umlenv exec api-run -- ping -c1 -W2 frontend'
}
