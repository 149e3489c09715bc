package io.berth.server.cli;

import io.berth.client.ImageReference;
import io.berth.client.RegistryException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.util.Set;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that talks to registries. Turns what goes wrong into one line that says what to do, and an exit code
 * scripts can tell apart ({@link ExitCodes}).
 */
abstract class ClientCommand implements Callable<Integer> {
    private static final Set<String> NOT_FOUND = Set.of("MANIFEST_UNKNOWN", "NAME_UNKNOWN", "BLOB_UNKNOWN",
            "BLOB_UPLOAD_UNKNOWN");

    @Spec
    CommandSpec spec;

    @Mixin
    ClientOptions options = new ClientOptions();

    /** Does the command's work; returns its exit code. */
    abstract int run(Session session) throws Exception;

    @Override
    public final Integer call() throws Exception {
        // The JDK's HTTP client reads bodies in 16 KiB buffers, each a hand-off between its selector thread and the
        // reader, unless told otherwise before its first use: larger ones take about a third less CPU per byte.
        setIfAbsent("jdk.httpclient.bufsize", Integer.toString(1 << 20));
        setIfAbsent("jdk.httpclient.receiveBufferSize", Integer.toString(4 << 20));
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Session session = new Session(options, out, err, System.console() != null && System.console().isTerminal());
        try {
            return run(session);
        } catch (RegistryException e) {
            err.println("berth: " + e.getMessage() + hint(e));
            return code(e);
        } catch (NotFoundException e) {
            err.println("berth: " + e.getMessage());
            return ExitCodes.NOT_FOUND;
        } catch (HttpConnectTimeoutException e) {
            err.println("berth: could not connect in time to " + session.registries()
                    + ": is the address right and the registry up?");
            return ExitCodes.FAILED;
        } catch (ConnectException e) {
            err.println("berth: cannot connect to " + session.registries()
                    + " (connection refused): is the registry running at that address?");
            return ExitCodes.FAILED;
        } catch (SSLException e) {
            err.println("berth: TLS with " + session.registries() + " failed (" + e.getMessage() + "); for a "
                    + "registry without TLS use --plain-http, for one with a certificate you cannot check --insecure");
            return ExitCodes.FAILED;
        } catch (HttpTimeoutException e) {
            err.println("berth: " + session.registries() + " did not answer in time");
            return ExitCodes.FAILED;
        } catch (IllegalArgumentException e) {
            err.println("berth: " + e.getMessage());
            return ExitCodes.USAGE;
        } catch (IOException e) {
            err.println("berth: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return ExitCodes.FAILED;
        } finally {
            session.close();
            out.flush();
            err.flush();
        }
    }

    private static void setIfAbsent(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }

    private static String hint(RegistryException e) {
        if (e.status() == 401) {
            return " (sign in with `berth login REGISTRY`, or pass --username)";
        }
        if (e.status() == 403) {
            return " (the user signed in may not do this)";
        }
        return "";
    }

    private static int code(RegistryException e) {
        if (e.status() == 404 || (e.code() != null && NOT_FOUND.contains(e.code()))) {
            return ExitCodes.NOT_FOUND;
        }
        if (e.status() == 401 || e.status() == 403) {
            return ExitCodes.DENIED;
        }
        return ExitCodes.FAILED;
    }

    /** Parses an image reference given on the command line; a wrong one is a usage error that says why. */
    static ImageReference reference(String text) {
        try {
            return ImageReference.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an image reference: " + text + " (" + e.getMessage()
                    + "); write REGISTRY/REPOSITORY[:TAG][@DIGEST]");
        }
    }
}
