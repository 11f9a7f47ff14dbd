"""A small Java launcher that makes DynamoDB Local listen on one address only.

DynamoDB Local 1.25.1 has no option for its address: ``-help`` and ``CommandLineInputConstants``
list only cors, dbPath, delayTransientStatuses, disableTelemetry, help, inMemory,
optimizeDbBeforeStartup, port, sharedDb, testControl and version; ``DynamoDBProxyServer`` builds
Jetty's ``Server(int port)``, whose one ``ServerConnector`` binds ``InetSocketAddress(port)``,
the wildcard, and Jetty reads no property for a host. A forwarder in front would not help: the
engine's own port would still be open to the network. So the engine is started through AWS's
embedding entry point (``ServerRunner.createServerFromCommandLineArgs``) by this launcher, which
sets the host on the Jetty connector before starting it, all by reflection (it compiles against
nothing). If a later DynamoDB Local changes those internals, the launcher exits with the reason
and the engine does not start: it never falls back to every interface silently.

The class is shipped compiled (``javac --release 11``, so any Java 11+ runtime can load it, a JRE
included) and written into the install cache on first use. ``tests/local/test_launcher.py``
recompiles ``JAVA_SOURCE`` and checks it matches ``CLASS_BASE64``; to change the launcher, edit the
source, then ``javac --release 11 DynaformLauncher.java`` and paste ``base64 -w 88`` of the class.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

CLASS_NAME = "DynaformLauncher"

JAVA_SOURCE = """\
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/** Runs DynamoDB Local bound to one address: DynaformLauncher HOST [DynamoDB Local options]. */
public final class DynaformLauncher {
    private static final String RUNNER =
            "com.amazonaws.services.dynamodbv2.local.main.ServerRunner";
    private static final String PROXY =
            "com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer";

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: DynaformLauncher HOST [DynamoDB Local options]");
            System.exit(2);
        }
        try {
            start(args[0], Arrays.copyOfRange(args, 1, args.length));
        } catch (Exception error) {
            Throwable cause = error instanceof InvocationTargetException ? error.getCause() : error;
            cause.printStackTrace();
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            System.err.println(
                    "dynaform launcher: DynamoDB Local did not start on " + args[0] + ": " + cause);
            System.exit(1);
        }
    }

    /** AWS's embedding entry point builds the server; each Jetty connector gets the host. */
    private static void start(String host, String[] options) throws Exception {
        Object proxy = Class.forName(RUNNER)
                .getMethod("createServerFromCommandLineArgs", String[].class)
                .invoke(null, (Object) options);
        Field field = Class.forName(PROXY).getDeclaredField("server");
        field.setAccessible(true);
        Object jetty = field.get(proxy);
        Object[] connectors = (Object[]) jetty.getClass().getMethod("getConnectors").invoke(jetty);
        if (connectors.length == 0) {
            throw new IllegalStateException("DynamoDB Local's server has no connector to bind");
        }
        for (Object connector : connectors) {
            connector.getClass().getMethod("setHost", String.class).invoke(connector, host);
        }
        proxy.getClass().getMethod("start").invoke(proxy);
    }
}
"""

CLASS_BASE64 = (
    "yv66vgAAADcAkQoAAgADBwAEDAAFAAYBABBqYXZhL2xhbmcvT2JqZWN0AQAGPGluaXQ+AQADKClWCQAIAAkHAAoM"
    "AAsADAEAEGphdmEvbGFuZy9TeXN0ZW0BAANlcnIBABVMamF2YS9pby9QcmludFN0cmVhbTsIAA4BADV1c2FnZTog"
    "RHluYWZvcm1MYXVuY2hlciBIT1NUIFtEeW5hbW9EQiBMb2NhbCBvcHRpb25zXQoAEAARBwASDAATABQBABNqYXZh"
    "L2lvL1ByaW50U3RyZWFtAQAHcHJpbnRsbgEAFShMamF2YS9sYW5nL1N0cmluZzspVgoACAAWDAAXABgBAARleGl0"
    "AQAEKEkpVgoAGgAbBwAcDAAdAB4BABBqYXZhL3V0aWwvQXJyYXlzAQALY29weU9mUmFuZ2UBACooW0xqYXZhL2xh"
    "bmcvT2JqZWN0O0lJKVtMamF2YS9sYW5nL09iamVjdDsHACABABNbTGphdmEvbGFuZy9TdHJpbmc7CgAiACMHACQM"
    "ACUAJgEAEER5bmFmb3JtTGF1bmNoZXIBAAVzdGFydAEAKChMamF2YS9sYW5nL1N0cmluZztbTGphdmEvbGFuZy9T"
    "dHJpbmc7KVYHACgBABNqYXZhL2xhbmcvRXhjZXB0aW9uBwAqAQAramF2YS9sYW5nL3JlZmxlY3QvSW52b2NhdGlv"
    "blRhcmdldEV4Y2VwdGlvbgoAJwAsDAAtAC4BAAhnZXRDYXVzZQEAFygpTGphdmEvbGFuZy9UaHJvd2FibGU7CgAw"
    "ADEHADIMADMABgEAE2phdmEvbGFuZy9UaHJvd2FibGUBAA9wcmludFN0YWNrVHJhY2UKADAALAoANgA3BwA4DAA5"
    "ADoBABBqYXZhL2xhbmcvU3RyaW5nAQAHdmFsdWVPZgEAJihMamF2YS9sYW5nL09iamVjdDspTGphdmEvbGFuZy9T"
    "dHJpbmc7EgAAADwMAD0APgEAF21ha2VDb25jYXRXaXRoQ29uc3RhbnRzAQA4KExqYXZhL2xhbmcvU3RyaW5nO0xq"
    "YXZhL2xhbmcvU3RyaW5nOylMamF2YS9sYW5nL1N0cmluZzsIAEABADljb20uYW1hem9uYXdzLnNlcnZpY2VzLmR5"
    "bmFtb2RidjIubG9jYWwubWFpbi5TZXJ2ZXJSdW5uZXIKAEIAQwcARAwARQBGAQAPamF2YS9sYW5nL0NsYXNzAQAH"
    "Zm9yTmFtZQEAJShMamF2YS9sYW5nL1N0cmluZzspTGphdmEvbGFuZy9DbGFzczsIAEgBAB9jcmVhdGVTZXJ2ZXJG"
    "cm9tQ29tbWFuZExpbmVBcmdzCgBCAEoMAEsATAEACWdldE1ldGhvZAEAQChMamF2YS9sYW5nL1N0cmluZztbTGph"
    "dmEvbGFuZy9DbGFzczspTGphdmEvbGFuZy9yZWZsZWN0L01ldGhvZDsKAE4ATwcAUAwAUQBSAQAYamF2YS9sYW5n"
    "L3JlZmxlY3QvTWV0aG9kAQAGaW52b2tlAQA5KExqYXZhL2xhbmcvT2JqZWN0O1tMamF2YS9sYW5nL09iamVjdDsp"
    "TGphdmEvbGFuZy9PYmplY3Q7CABUAQBCY29tLmFtYXpvbmF3cy5zZXJ2aWNlcy5keW5hbW9kYnYyLmxvY2FsLnNl"
    "cnZlci5EeW5hbW9EQlByb3h5U2VydmVyCABWAQAGc2VydmVyCgBCAFgMAFkAWgEAEGdldERlY2xhcmVkRmllbGQB"
    "AC0oTGphdmEvbGFuZy9TdHJpbmc7KUxqYXZhL2xhbmcvcmVmbGVjdC9GaWVsZDsKAFwAXQcAXgwAXwBgAQAXamF2"
    "YS9sYW5nL3JlZmxlY3QvRmllbGQBAA1zZXRBY2Nlc3NpYmxlAQAEKFopVgoAXABiDABjAGQBAANnZXQBACYoTGph"
    "dmEvbGFuZy9PYmplY3Q7KUxqYXZhL2xhbmcvT2JqZWN0OwoAAgBmDABnAGgBAAhnZXRDbGFzcwEAEygpTGphdmEv"
    "bGFuZy9DbGFzczsIAGoBAA1nZXRDb25uZWN0b3JzBwBsAQATW0xqYXZhL2xhbmcvT2JqZWN0OwcAbgEAH2phdmEv"
    "bGFuZy9JbGxlZ2FsU3RhdGVFeGNlcHRpb24IAHABADBEeW5hbW9EQiBMb2NhbCdzIHNlcnZlciBoYXMgbm8gY29u"
    "bmVjdG9yIHRvIGJpbmQKAG0AcgwABQAUCAB0AQAHc2V0SG9zdAgAJQEABlJVTk5FUgEAEkxqYXZhL2xhbmcvU3Ry"
    "aW5nOwEADUNvbnN0YW50VmFsdWUBAAVQUk9YWQEABENvZGUBAA9MaW5lTnVtYmVyVGFibGUBAARtYWluAQAWKFtM"
    "amF2YS9sYW5nL1N0cmluZzspVgEADVN0YWNrTWFwVGFibGUBAApFeGNlcHRpb25zAQAKU291cmNlRmlsZQEAFUR5"
    "bmFmb3JtTGF1bmNoZXIuamF2YQEAEEJvb3RzdHJhcE1ldGhvZHMPBgCECgCFAIYHAIcMAD0AiAEAJGphdmEvbGFu"
    "Zy9pbnZva2UvU3RyaW5nQ29uY2F0RmFjdG9yeQEAmChMamF2YS9sYW5nL2ludm9rZS9NZXRob2RIYW5kbGVzJExv"
    "b2t1cDtMamF2YS9sYW5nL1N0cmluZztMamF2YS9sYW5nL2ludm9rZS9NZXRob2RUeXBlO0xqYXZhL2xhbmcvU3Ry"
    "aW5nO1tMamF2YS9sYW5nL09iamVjdDspTGphdmEvbGFuZy9pbnZva2UvQ2FsbFNpdGU7CACKAQA3ZHluYWZvcm0g"
    "bGF1bmNoZXI6IER5bmFtb0RCIExvY2FsIGRpZCBub3Qgc3RhcnQgb24gATogAQEADElubmVyQ2xhc3NlcwcAjQEA"
    "JWphdmEvbGFuZy9pbnZva2UvTWV0aG9kSGFuZGxlcyRMb29rdXAHAI8BAB5qYXZhL2xhbmcvaW52b2tlL01ldGhv"
    "ZEhhbmRsZXMBAAZMb29rdXAAMQAiAAIAAAACABoAdgB3AAEAeAAAAAIAPwAaAHkAdwABAHgAAAACAFMAAwABAAUA"
    "BgABAHoAAAAdAAEAAQAAAAUqtwABsQAAAAEAewAAAAYAAQAAAAYACQB8AH0AAQB6AAAA0QAEAAMAAABgKr4EogAP"
    "sgAHEg22AA8FuAAVKgMyKgQqvrgAGcAAH7gAIacAPUwrwQApmQAKK7YAK6cABCtNLLYALyy2ADTGAAsstgA0Taf/"
    "9LIAByoDMiy4ADW6ADsAALYADwS4ABWxAAEAEgAiACUAJwACAHsAAAA2AA0AAAANAAYADgAOAA8AEgASACIAHAAl"
    "ABMAJgAUADYAFQA6ABYAQQAXAEkAGQBbABsAXwAdAH4AAAAbAAcSUgcAJ/wADgcAJ0AHADD8AAQHADAO+QAVAAoA"
    "JQAmAAIAegAAATMABgAKAAAAuxI/uABBEkcEvQBCWQMSH1O2AEkBBL0AAlkDK1O2AE1NElO4AEESVbYAV04tBLYA"
    "Wy0stgBhOgQZBLYAZRJpA70AQrYASRkEA70AArYATcAAazoFGQW+mgANuwBtWRJvtwBxvxkFOgYZBr42BwM2CBUI"
    "FQeiADEZBhUIMjoJGQm2AGUScwS9AEJZAxI2U7YASRkJBL0AAlkDKlO2AE1XhAgBp//OLLYAZRJ1A70AQrYASSwD"
    "vQACtgBNV7EAAAACAHsAAAA6AA4AAAAhABAAIgAcACMAIAAkACsAJQAwACYANwAnAFMAKABZACkAYwArAH0ALACe"
    "ACsApAAuALoALwB+AAAAJgAD/wBjAAYHADYHAB8HAAIHAFwHAAIHAGsAAP4ACwcAawEB+AA0AH8AAAAEAAEAJwAD"
    "AIAAAAACAIEAggAAAAgAAQCDAAEAiQCLAAAACgABAIwAjgCQABk="
)


def class_bytes() -> bytes:
    return base64.b64decode(CLASS_BASE64)


def launcher_dir(root: Path) -> Path:
    """A directory under ``root`` holding ``DynaformLauncher.class``, for ``java -cp``.
    Named by the class's digest, and rewritten if its bytes differ (damaged or edited)."""
    data = class_bytes()
    directory = root / f"launcher-{hashlib.sha256(data).hexdigest()[:12]}"
    target = directory / f"{CLASS_NAME}.class"
    try:
        if target.read_bytes() == data:
            return directory
    except OSError:
        pass
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f"{CLASS_NAME}.class.{os.getpid()}.tmp"
    tmp.write_bytes(data)
    tmp.replace(target)
    return directory
