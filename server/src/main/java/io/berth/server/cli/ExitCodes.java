package io.berth.server.cli;

/** What a client command's exit status means; {@code docs/cli.md} lists them for scripts. */
final class ExitCodes {
    static final int OK = 0;
    /** The registry refused the request, or the network or a file failed. */
    static final int FAILED = 1;
    /** The command line was wrong (picocli's own code for usage errors). */
    static final int USAGE = 2;
    /** The image, tag, repository or blob does not exist. */
    static final int NOT_FOUND = 3;
    /** Not signed in, wrong credentials, or not allowed. */
    static final int DENIED = 4;

    private ExitCodes() {
    }
}
