// umlEnv: fresh umlenv machines for the block, torn down after it however the block ends.
// It only drives the umlenv CLI: `up` before the block, `down` in a finally. It keeps to steps
// and Groovy that Jenkins' script sandbox allows (test/jenkins/Harness.groovy checks that).

def call(Map config = [:], Closure body) {
    Map defaults = [
        config: 'umlenv.yml',  // the config to start, relative to the current directory
        env: null,             // environment id; default from BUILD_TAG, EXECUTOR_NUMBER, a count
        machines: null,        // start only these (a list, or names in a string) and their depends_on
        cacheDir: null,        // image cache, exported as UMLENV_CACHE_DIR; default: the CLI's
        keepOnFailure: false,  // when the block fails, leave the environment up to debug it
        ttl: '6h',             // the environment ends itself after this long, even if lost
        upTimeout: '15m',      // fail when up, image build included, takes longer; '0': never
        archiveLogs: true,     // archive console logs of failed machines (umlenv-logs/ID/*.log)
        cli: 'umlenv',         // the command that runs the CLI, e.g. 'node /opt/umlenv/dist/cli.js'
    ]
    List unknown = []
    for (String key in config.keySet()) {
        if (!defaults.containsKey(key)) unknown << key
    }
    if (unknown) {
        error("umlEnv: unknown option ${unknown.join(', ')}; " +
              "known: ${defaults.keySet().join(', ')}")
    }
    Map o = defaults + config
    // Only these machines (and what they depend on): a list, or names in one string.
    List only = o.machines instanceof CharSequence ? o.machines.toString().tokenize(', \n') :
        (o.machines ?: []) as List
    String names = ''
    for (Object m in only) names += ' ' + q(m)
    String id = o.env ?: envId()
    if (!id.matches('[a-z0-9][a-z0-9_.-]{0,39}')) {
        error("umlEnv: env '${id}' is not an id: 1-40 of a-z 0-9 . _ -, starting with a-z or 0-9")
    }

    List vars = ["UMLENV_ENV=${id}"]
    if (o.cacheDir) vars << "UMLENV_CACHE_DIR=${o.cacheDir}"
    Throwable failure = null
    boolean started = false
    withEnv(vars) {
        try {
            int up = sh(returnStatus: true, script: "timeout -k 10s ${q(o.upTimeout)} " +
                        "${o.cli} up -f ${q(o.config)} --env ${id} --ttl ${q(o.ttl)}${names}")
            if (up == 124) error("umlEnv: umlenv up took longer than ${o.upTimeout} (upTimeout)")
            if (up != 0) error("umlEnv: umlenv up failed with exit status ${up}")
            started = true
            List addresses = []
            for (Map m in machines(o.cli, id)) {
                addresses << "UMLENV_ADDR_${m.name.toUpperCase().replace('-', '_')}=${m.address}"
            }
            echo "umlEnv: environment ${id} is up: ${addresses.join(' ')}"
            withEnv(addresses) {
                body()
            }
        } catch (Throwable e) {
            failure = e
            throw e
        } finally {
            // Jenkins aborts with an InterruptedException: that is no failure of the machines.
            boolean failed = failure != null && !(failure instanceof InterruptedException)
            try {
                if (o.archiveLogs) archiveConsoleLogs(o.cli, id, failed)
            } finally {
                // A failed up removed its machines itself, but one that timed out may have left
                // some, so only an environment that came up is ever kept.
                if (failed && o.keepOnFailure && started) {
                    echo "umlEnv: keeping environment ${id} (keepOnFailure): remove it on this " +
                         "agent with 'umlenv down --env ${id}'; it ends by itself after ${o.ttl}"
                } else {
                    // A failed down fails the build only when the block succeeded: it must not
                    // hide the block's own error, and its message is in the log anyway.
                    int down = sh(returnStatus: true, script: "${o.cli} down --env ${id}")
                    if (down != 0 && failure == null) {
                        error("umlEnv: umlenv down --env ${id} failed with exit status ${down}")
                    }
                }
            }
        }
    }
}

// jk-BUILD_TAG-EXECUTOR_NUMBER-N, where N counts the umlEnv calls of the build: env is shared
// by all its branches and Pipeline runs their Groovy on one thread, so no two get the same N.
// Ids have at most 40 characters: a long tag is cut and ends in a hash of the whole tag.
String envId() {
    int n = (env.UMLENV_CALLS ?: '0').toInteger() + 1
    env.UMLENV_CALLS = String.valueOf(n)
    String buildTag = env.BUILD_TAG ?: 'build'
    String tail = ('-' + (env.EXECUTOR_NUMBER ?: '0') + '-' + n).replaceAll('[^0-9-]', '')
    String tag = ('jk-' + buildTag).toLowerCase().replaceAll('[^a-z0-9_.-]+', '-')
    int room = 40 - tail.length()
    if (tag.length() > room) {
        String hash = Integer.toString(buildTag.hashCode(), 36).replace('-', '')
        tag = tag.substring(0, room - hash.length() - 1) + '-' + hash
    }
    return tag + tail
}

// The machines of `umlenv ps --json`: {"phase": …, "machines": [{"name": …, "address": …,
// "state": …}, …]}. Names, addresses and states hold no quotes or braces, so each '{' after
// the first starts a machine. With quiet, a missing environment gives no machines.
List machines(String cli, String id, boolean quiet = false) {
    String json = sh(returnStdout: true,
                     script: "${cli} ps --env ${id} --json" + (quiet ? ' 2>/dev/null || true' : ''))
    List found = []
    for (String part in json.split('\\{')) {
        String name = jsonString(part, 'name')
        if (name) {
            found << [name: name, address: jsonString(part, 'address'),
                      state: jsonString(part, 'state')]
        }
    }
    return found
}

String jsonString(String text, String key) {
    int at = text.indexOf('"' + key + '"')
    if (at < 0) return null
    int start = text.indexOf('"', text.indexOf(':', at) + 1) + 1
    return text.substring(start, text.indexOf('"', start))
}

// Console logs of the machines that stopped, or of all when the block failed, copied into
// WORKSPACE/umlenv-logs/ID/ and archived. A failed up leaves nothing to copy: it removed its
// machines itself, and its own error shows the failed machine's last console lines.
void archiveConsoleLogs(String cli, String id, boolean all) {
    List names = []
    for (Map m in machines(cli, id, true)) {
        if (all || m.state != 'running') names << m.name
    }
    if (!names) return
    String dir = "umlenv-logs/${id}"
    sh(returnStatus: true, script: "d=\"\$WORKSPACE/${dir}\"; mkdir -p \"\$d\" && " +
       "for m in ${names.join(' ')}; do ${cli} logs --env ${id} \$m > \"\$d/\$m.log\"; done")
    archiveArtifacts(artifacts: "${dir}/*.log", allowEmptyArchive: true)
}

// Quotes a value for sh.
String q(value) {
    return "'" + String.valueOf(value).replace("'", "'\\''") + "'"
}
