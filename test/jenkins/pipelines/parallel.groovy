// Two branches of one build, each with its own environment. Each body marks its environment up
// and waits until both are, so the two are used at the same time.
def branch = { String name ->
    withEnv(["BRANCH=${name}"]) {
        umlEnv(config: env.CONFIG) {
            sh '''
                touch "$WORKSPACE/up-$UMLENV_ENV"
                up() { ls "$WORKSPACE" | grep -c '^up-'; }
                for i in $(seq 150); do [ "$(up)" -ge 2 ] && break; sleep 0.2; done
                echo "branch $BRANCH env=$UMLENV_ENV up-together=$(up) guest=$(umlenv exec solo -- hostname)"
            '''
        }
    }
}
parallel(one: { branch('one') }, two: { branch('two') })
