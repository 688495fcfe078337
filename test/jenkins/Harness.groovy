// A small stand-in for Jenkins Pipeline that runs a shared library's vars/*.groovy for real
// (test/jenkins.test.ts uses it with Debian's Groovy 2.4, the Groovy that Pipeline runs):
//
//   groovy Harness.groovy [--lib DIR] [--set KEY=VALUE]... [--artifacts DIR] JENKINSFILE
//   groovy Harness.groovy --check [--lib DIR] FILE...
//
// Steps: sh (a real /bin/sh -xe, as Jenkins runs it; returnStdout, returnStatus, script:), echo,
// error, withEnv, archiveArtifacts (copies into --artifacts), parallel, node, stage, checkout;
// env (the process environment plus --set, such as BUILD_TAG, EXECUTOR_NUMBER, WORKSPACE) and scm.
// As in Jenkins' CPS engine, Groovy runs on one thread at a time: a parallel branch runs only
// while the others wait inside a step. SIGINT is the abort button: it interrupts the pipeline,
// the running sh is killed (TERM to its process group, KILL 10 s later) and throws a
// FlowInterruptedException, which is an InterruptedException, as in Jenkins.
// Every script must pass SandboxCheck before anything runs. Not emulated: the serialization of
// CPS program state, script approval, and Jenkins' tracking of processes across restarts.
// Exit status: 0 SUCCESS, 1 FAILURE, 2 ABORTED, 3 rejected by SandboxCheck, 4 bad usage.

import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.PathMatcher
import java.nio.file.StandardCopyOption
import java.util.concurrent.Semaphore
import groovy.io.FileType
import org.codehaus.groovy.ast.ASTNode
import org.codehaus.groovy.ast.AnnotatedNode
import org.codehaus.groovy.ast.ClassCodeVisitorSupport
import org.codehaus.groovy.ast.ClassNode
import org.codehaus.groovy.ast.MethodNode
import org.codehaus.groovy.ast.ModuleNode
import org.codehaus.groovy.ast.Parameter
import org.codehaus.groovy.ast.expr.ClassExpression
import org.codehaus.groovy.ast.expr.ClosureExpression
import org.codehaus.groovy.ast.expr.ConstructorCallExpression
import org.codehaus.groovy.ast.expr.DeclarationExpression
import org.codehaus.groovy.ast.expr.Expression
import org.codehaus.groovy.ast.expr.MethodCallExpression
import org.codehaus.groovy.ast.expr.PropertyExpression
import org.codehaus.groovy.ast.expr.StaticMethodCallExpression
import org.codehaus.groovy.ast.expr.VariableExpression
import org.codehaus.groovy.control.CompilationFailedException
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.CompilerConfiguration
import org.codehaus.groovy.control.Phases
import org.codehaus.groovy.control.SourceUnit
import sun.misc.Signal
import sun.misc.SignalHandler

/** What Jenkins throws for `error` and for a failed sh (hudson.AbortException). */
class AbortException extends IOException {
    AbortException(String message) { super(message) }
}

/** What Jenkins throws into a step when the build is aborted. */
class FlowInterruptedException extends InterruptedException {
    FlowInterruptedException(String message) { super(message) }
}

/**
 * Rejects what Jenkins' script sandbox rejects and a library step has no business doing: host
 * files, threads, processes, exiting, evaluating code, grabbing jars, JSON parsers that need
 * approval, and steps outside Jenkins' own Pipeline plugins (readJSON, sha256 …). It reads the
 * syntax tree, so comments and strings never trip it.
 */
class SandboxCheck {
    static final Set<String> CLASSES = ['File', 'Thread', 'Runtime', 'ProcessBuilder', 'Process',
        'Eval', 'GroovyShell', 'GroovyClassLoader', 'JsonSlurper', 'JsonSlurperClassic'] as Set
    static final Set<String> MEMBERS = ['execute', 'evaluate', 'metaClass', 'getMetaClass',
        'classLoader', 'getClassLoader', 'forName'] as Set
    static final Set<String> GRAB = ['Grab', 'Grapes', 'GrabResolver', 'GrabConfig',
        'GrabExclude'] as Set
    // Steps of Jenkins core and of the plugins that come with the Pipeline plugin.
    static final Set<String> STEPS = ['sh', 'bat', 'echo', 'error', 'withEnv', 'archiveArtifacts',
        'parallel', 'node', 'stage', 'checkout', 'timeout', 'dir', 'retry', 'sleep', 'readFile',
        'writeFile', 'fileExists', 'deleteDir', 'pwd', 'isUnix', 'stash', 'unstash', 'catchError',
        'warnError', 'unstable', 'waitUntil', 'build', 'input', 'milestone', 'properties',
        'println', 'print'] as Set
    static final String GRAB_TRANSFORM = 'groovy.grape.GrabAnnotationTransformation'

    /** Problems as "FILE:LINE: message"; none means the script may run. */
    static List<String> problems(File file, Set<String> libraryVars) {
        CompilerConfiguration config = new CompilerConfiguration()
        config.disabledGlobalASTTransformations = [GRAB_TRANSFORM] as Set
        CompilationUnit unit = new CompilationUnit(config)
        unit.addSource(file.name, SandboxCheck.withoutLibraryLine(file.text))
        try {
            unit.compile(Phases.CONVERSION)
        } catch (CompilationFailedException e) {
            return ["${file.name}: does not compile: ${e.message}".toString()]
        }
        ModuleNode module = unit.AST.modules[0]
        Visitor visitor = new Visitor(file.name)
        for (imp in module.imports + module.starImports + module.staticImports.values() +
                module.staticStarImports.values()) {
            visitor.annotations(imp)
            String name = imp.className ?: imp.packageName
            if (name && simple(name) in CLASSES) visitor.report(imp, "imports ${name}")
        }
        for (ClassNode c in module.classes) visitor.visitClass(c)
        Set<String> callable = STEPS + libraryVars + visitor.defined
        for (MethodCallExpression call in visitor.implicitCalls) {
            if (!(call.methodAsString in callable)) {
                visitor.report(call, "calls ${call.methodAsString}, which is not a step of Jenkins' " +
                    'own Pipeline plugins nor a method or variable of this script')
            }
        }
        return visitor.found as List
    }

    static String simple(String name) { name.tokenize('.$').last() }

    // Jenkins reads "@Library('name') _" itself; here the library comes from --lib.
    static String withoutLibraryLine(String text) {
        text.replaceAll(/(?m)^\s*@Library\([^)]*\)\s*_\s*$/, '')
    }

    static class Visitor extends ClassCodeVisitorSupport {
        final String file
        final Set<String> found = new LinkedHashSet<>()
        final Set<String> defined = new HashSet<>()
        final List<MethodCallExpression> implicitCalls = []

        Visitor(String file) { this.file = file }

        SourceUnit getSourceUnit() { null }

        void report(ASTNode node, String message) {
            found << "${file}:${node.lineNumber}: ${message}".toString()
        }

        void annotations(AnnotatedNode node) {
            for (a in node.annotations) {
                String name = simple(a.classNode.name)
                if (name in GRAB) report(a, "@${name} loads jars")
            }
        }

        void type(ASTNode at, ClassNode type) {
            if (type != null && simple(type.name) in CLASSES) report(at, "uses ${simple(type.name)}")
        }

        void parameters(ASTNode at, Parameter[] params) {
            if (params == null) return
            for (Parameter p in params) {
                defined << p.name
                type(at, p.type)
            }
        }

        void visitAnnotations(AnnotatedNode node) {
            annotations(node)
            super.visitAnnotations(node)
        }

        void visitConstructorOrMethod(MethodNode node, boolean isConstructor) {
            defined << node.name
            parameters(node, node.parameters)
            type(node, node.returnType)
            super.visitConstructorOrMethod(node, isConstructor)
        }

        void visitClosureExpression(ClosureExpression e) {
            parameters(e, e.parameters)
            super.visitClosureExpression(e)
        }

        void visitDeclarationExpression(DeclarationExpression e) {
            if (e.leftExpression instanceof VariableExpression) {
                defined << e.variableExpression.name
                type(e, e.variableExpression.originType)
            } else {
                for (Expression v in e.tupleExpression.expressions) {
                    defined << ((VariableExpression) v).name
                }
            }
            annotations(e)
            super.visitDeclarationExpression(e)
        }

        void visitConstructorCallExpression(ConstructorCallExpression e) {
            if (simple(e.type.name) in CLASSES) report(e, "new ${simple(e.type.name)}")
            super.visitConstructorCallExpression(e)
        }

        void visitMethodCallExpression(MethodCallExpression e) {
            String name = e.methodAsString
            if (e.implicitThis && name != null && e.lineNumber > 0) implicitCalls << e
            if (name in MEMBERS) report(e, "${name}() runs code or reaches the runtime")
            checkSystem(e, e.objectExpression.text, name)
            super.visitMethodCallExpression(e)
        }

        void visitStaticMethodCallExpression(StaticMethodCallExpression e) {
            if (simple(e.ownerType.name) in CLASSES) report(e, "uses ${simple(e.ownerType.name)}")
            if (e.method in MEMBERS) report(e, "${e.method}() runs code or reaches the runtime")
            checkSystem(e, e.ownerType.name, e.method)
            super.visitStaticMethodCallExpression(e)
        }

        void visitPropertyExpression(PropertyExpression e) {
            if (e.propertyAsString in MEMBERS) report(e, "${e.propertyAsString} reaches the runtime")
            checkSystem(e, e.objectExpression.text, e.propertyAsString)
            super.visitPropertyExpression(e)
        }

        void visitVariableExpression(VariableExpression e) {
            if (e.name in CLASSES) report(e, "uses ${e.name}")
            super.visitVariableExpression(e)
        }

        void visitClassExpression(ClassExpression e) {
            if (simple(e.type.name) in CLASSES) report(e, "uses ${simple(e.type.name)}")
            super.visitClassExpression(e)
        }

        // System.currentTimeMillis() is all the sandbox allows of System.
        void checkSystem(ASTNode at, String owner, String member) {
            if (owner in ['System', 'java.lang.System'] && member != 'currentTimeMillis') {
                report(at, "System.${member}")
            }
        }
    }
}

/** `env`: the build's variables, with the innermost withEnv of the calling thread on top. */
class EnvProxy extends GroovyObjectSupport {
    Object getProperty(String name) { Pipeline.get(name) }

    void setProperty(String name, Object value) { Pipeline.globals[name] = value?.toString() }
}

/** The running build: its variables, its one Groovy thread at a time, and the steps. */
class Pipeline {
    // Held by whichever pipeline thread runs Groovy; released while a step waits.
    static final Semaphore cps = new Semaphore(1)
    static final Map<String, String> globals = Collections.synchronizedMap([:])
    // The withEnv overrides of each thread; a parallel branch starts with its parent's.
    static final InheritableThreadLocal<Map<String, String>> overlay =
        new InheritableThreadLocal<Map<String, String>>() {
            protected Map<String, String> initialValue() { [:] }
        }
    static final Map<String, Script> vars = [:]
    static final EnvProxy env = new EnvProxy()
    static File artifacts

    static String get(String name) {
        Map<String, String> top = overlay.get()
        top.containsKey(name) ? top[name] : globals[name]
    }

    static synchronized void log(Object line) {
        System.out.println(line)
        System.out.flush()
    }

    static <T> T blocking(Closure<T> wait) {
        cps.release()
        try {
            return wait.call()
        } finally {
            cps.acquireUninterruptibly()
        }
    }

    static Object sh(Map args) {
        if (args.script == null) throw new IllegalArgumentException('sh: script is required')
        String script = args.script.toString()
        boolean returnStdout = args.returnStdout as boolean
        boolean returnStatus = args.returnStatus as boolean
        log('[Pipeline] sh')
        File file = File.createTempFile('harness-sh-', '.sh')
        File out = returnStdout ? File.createTempFile('harness-out-', '.txt') : null
        try {
            file.text = script
            // setsid: the script leads its own process group, which an abort kills as a whole.
            ProcessBuilder pb = new ProcessBuilder('setsid', '/bin/sh', '-xe', file.path)
            pb.directory(new File(get('WORKSPACE')))
            pb.environment().clear()
            pb.environment().putAll(globals)
            pb.environment().putAll(overlay.get())
            pb.redirectInput(ProcessBuilder.Redirect.from(new File('/dev/null')))
            pb.redirectError(ProcessBuilder.Redirect.INHERIT)
            pb.redirectOutput(out ? ProcessBuilder.Redirect.to(out) : ProcessBuilder.Redirect.INHERIT)
            Process process = pb.start()
            int status = blocking { waitOrKill(process, script) }
            if (status != 0 && !returnStatus) {
                throw new AbortException("script returned exit code ${status}")
            }
            return returnStdout ? out.text : returnStatus ? status : null
        } finally {
            file.delete()
            out?.delete()
        }
    }

    static int waitOrKill(Process process, String script) {
        try {
            return process.waitFor()
        } catch (InterruptedException e) {
            // Like Jenkins, which finds a step's processes by an environment cookie: the whole
            // tree, including children that made process groups of their own (timeout does).
            List<ProcessHandle> tree = [process.toHandle()] + process.descendants().toArray().toList()
            signal(process, tree, 'TERM')
            long end = System.currentTimeMillis() + 10000
            while (tree.any { it.alive } && System.currentTimeMillis() < end) sleep(100)
            if (tree.any { it.alive }) signal(process, tree, 'KILL')
            process.waitFor()
            throw new FlowInterruptedException("sh was interrupted: ${script.readLines()[0]}")
        }
    }

    static void signal(Process process, List<ProcessHandle> tree, String name) {
        List<String> targets = ['-' + process.pid()]
        for (ProcessHandle h in tree) if (h.alive) targets << h.pid().toString()
        new ProcessBuilder(['kill', '-' + name, '--'] + targets).redirectErrorStream(true)
            .start().waitFor()
    }

    static Object withEnv(List vars, Closure body) {
        Map<String, String> previous = overlay.get()
        Map<String, String> next = new LinkedHashMap<>(previous)
        for (v in vars) {
            String pair = v.toString()
            int eq = pair.indexOf('=')
            if (eq < 1 || pair.substring(0, eq).contains('+')) {
                throw new IllegalArgumentException("withEnv: ${pair}: only KEY=VALUE is emulated")
            }
            next[pair.substring(0, eq)] = pair.substring(eq + 1)
        }
        overlay.set(next)
        try {
            return body.call()
        } finally {
            overlay.set(previous)
        }
    }

    static void archiveArtifacts(Map args) {
        Path workspace = new File(get('WORKSPACE')).toPath()
        List<PathMatcher> patterns = args.artifacts.toString().split(',').collect {
            workspace.fileSystem.getPathMatcher("glob:${it.trim()}")
        }
        List<Path> found = []
        workspace.toFile().eachFileRecurse(FileType.FILES) { File f ->
            Path relative = workspace.relativize(f.toPath())
            if (patterns.any { it.matches(relative) }) found << relative
        }
        if (!found && !args.allowEmptyArchive) {
            throw new AbortException("No artifacts found that match the pattern \"${args.artifacts}\"")
        }
        log("Archiving artifacts: ${found.sort().join(' ')}")
        for (Path relative in found) {
            Path target = artifacts.toPath().resolve(relative)
            Files.createDirectories(target.parent)
            Files.copy(workspace.resolve(relative), target, StandardCopyOption.REPLACE_EXISTING)
        }
    }

    static Map parallel(Map branches) {
        Map<String, Closure> bodies = new LinkedHashMap<>(branches)
        bodies.remove('failFast')
        Map results = Collections.synchronizedMap([:])
        List<Throwable> errors = Collections.synchronizedList([])
        List<Thread> threads = bodies.collect { String name, Closure body ->
            new Thread({
                cps.acquireUninterruptibly()
                try {
                    results[name] = body.call()
                } catch (Throwable e) {
                    errors << e
                    log("[${name}] failed: ${e}")
                } finally {
                    cps.release()
                }
            } as Runnable, "branch ${name}")
        }
        log("[Pipeline] parallel ${bodies.keySet().join(', ')}")
        threads*.start()
        blocking {
            try {
                threads*.join()
            } catch (InterruptedException e) {
                // An abort reaches every branch; each still runs its finally blocks.
                threads*.interrupt()
                for (Thread t in threads) {
                    while (t.alive) {
                        try { t.join() } catch (InterruptedException again) { }
                    }
                }
                throw new FlowInterruptedException('parallel was interrupted')
            }
        }
        if (errors) throw errors[0]
        return results
    }
}

/** The base class of the Jenkinsfile and of every vars/*.groovy: the steps, env and the vars. */
abstract class PipelineScript extends Script {
    Object getEnv() { Pipeline.env }

    Object sh(String script) { Pipeline.sh([script: script]) }

    Object sh(Map args) { Pipeline.sh(args) }

    void echo(Object message) { Pipeline.log(message) }

    void error(Object message) { throw new AbortException(message.toString()) }

    Object withEnv(List vars, Closure body) { Pipeline.withEnv(vars, body) }

    void archiveArtifacts(Map args) { Pipeline.archiveArtifacts(args) }

    void archiveArtifacts(String artifacts) { Pipeline.archiveArtifacts([artifacts: artifacts]) }

    Object parallel(Map branches) { Pipeline.parallel(branches) }

    Object node(Closure body) { node('', body) }

    Object node(String label, Closure body) {
        Pipeline.log("[Pipeline] node ${label}")
        body.call()
    }

    Object stage(String name, Closure body) {
        Pipeline.log("[Pipeline] stage (${name})")
        body.call()
    }

    void checkout(Object scm) { Pipeline.log('[Pipeline] checkout: the workspace is already in place') }

    // umlEnv(…) { … } calls vars/umlEnv.groovy's call(…), as Jenkins does.
    Object methodMissing(String name, Object args) {
        Script step = Pipeline.vars[name]
        if (step == null) throw new MissingMethodException(name, getClass(), args as Object[])
        return step.invokeMethod('call', args)
    }
}

System.setProperty('groovy.grape.enable', 'false')
def usage = {
    System.err.println('usage: groovy Harness.groovy [--lib DIR] [--set K=V]... [--artifacts DIR] ' +
        'JENKINSFILE\n       groovy Harness.groovy --check [--lib DIR] FILE...')
    System.exit(4)
}
File lib = new File('jenkins')
Map<String, String> sets = [:]
boolean checkOnly = false
List<File> files = []
for (Iterator<String> it = (args as List).iterator(); it.hasNext();) {
    String arg = it.next()
    if (arg == '--check') checkOnly = true
    else if (arg == '--lib' && it.hasNext()) lib = new File(it.next())
    else if (arg == '--artifacts' && it.hasNext()) Pipeline.artifacts = new File(it.next())
    else if (arg == '--set' && it.hasNext()) {
        String pair = it.next()
        sets[pair.substring(0, pair.indexOf('='))] = pair.substring(pair.indexOf('=') + 1)
    }
    else if (arg.startsWith('-')) usage()
    else files << new File(arg)
}
if (!files || (!checkOnly && files.size() != 1)) usage()

List<File> varFiles = (new File(lib, 'vars').listFiles() ?: []).findAll { it.name.endsWith('.groovy') }
varFiles.sort()
Set<String> varNames = varFiles.collect { it.name - '.groovy' } as Set
List<String> problems = []
for (File f in (checkOnly ? files : varFiles + files)) {
    problems.addAll(SandboxCheck.problems(f, varNames))
}
for (String p in problems) System.err.println("sandbox: ${p}")
if (problems) System.exit(3)
if (checkOnly) {
    println "sandbox: ${files*.name.join(', ')}: no problems"
    System.exit(0)
}

Pipeline.globals.putAll(System.getenv())
Pipeline.globals.WORKSPACE = new File('.').canonicalPath
Pipeline.globals.putAll(sets)
if (Pipeline.artifacts == null) Pipeline.artifacts = new File(Pipeline.globals.WORKSPACE + '@archive')

CompilerConfiguration config = new CompilerConfiguration()
config.scriptBaseClass = PipelineScript.name
config.disabledGlobalASTTransformations = [SandboxCheck.GRAB_TRANSFORM] as Set
GroovyShell shell = new GroovyShell(this.class.classLoader, new Binding(scm: 'scm'), config)
for (File f in varFiles) Pipeline.vars[f.name - '.groovy'] = shell.parse(f)
String jenkinsfile = SandboxCheck.withoutLibraryLine(files[0].text)
Script pipeline = shell.parse(jenkinsfile, files[0].name.replaceAll(/\W/, '_'))

Thread main = Thread.currentThread()
Signal.handle(new Signal('INT'), { main.interrupt() } as SignalHandler)
String result = 'SUCCESS'
Pipeline.cps.acquire()
try {
    pipeline.run()
} catch (InterruptedException e) {
    result = 'ABORTED'
    Pipeline.log("Aborted: ${e.class.simpleName}: ${e.message}")
} catch (AbortException e) {
    result = 'FAILURE'
    Pipeline.log("ERROR: ${e.message}")
} catch (Throwable e) {
    result = 'FAILURE'
    Pipeline.log("ERROR: ${e}")
    e.printStackTrace()
}
Pipeline.log("Finished: ${result}")
System.exit(['SUCCESS', 'FAILURE', 'ABORTED'].indexOf(result))
