package io.berth.server.cli;

import io.berth.client.ProgressListener;
import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Shows how blob transfers go: on a terminal one bar redrawn in place (bytes, share, blobs done); elsewhere one plain
 * line per finished blob, which logs of CI jobs read well; nothing when answering JSON.
 */
final class Progress implements ProgressListener {
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final String verb;
    private final boolean bar;
    private final boolean quiet;
    private final Map<Digest, long[]> blobs = new LinkedHashMap<>();
    private long lastDraw;
    private boolean drawn;

    Progress(PrintWriter err, String verb, boolean bar, boolean quiet) {
        this.err = err;
        this.verb = verb;
        this.bar = bar;
        this.quiet = quiet;
    }

    @Override
    public synchronized void transferred(Descriptor blob, long done) {
        long[] state = blobs.computeIfAbsent(blob.digest(), d -> new long[]{blob.size(), 0, 0});
        state[1] = done;
        if (done >= blob.size() && state[2] == 0) {
            state[2] = 1;
            line(verb + " " + shortDigest(blob.digest()) + " (" + bytes(blob.size()) + ")");
        }
        redraw(done >= blob.size());
    }

    @Override
    public synchronized void skipped(Descriptor blob) {
        long[] state = blobs.computeIfAbsent(blob.digest(), d -> new long[]{blob.size(), 0, 0});
        state[1] = blob.size();
        if (state[2] == 0) {
            state[2] = 1;
            line("exists " + shortDigest(blob.digest()) + " (" + bytes(blob.size()) + ")");
        }
        redraw(true);
    }

    /** Ends the bar's line, so what the command prints next starts on a line of its own. */
    synchronized void finish() {
        if (drawn) {
            draw();
            err.println();
            err.flush();
            drawn = false;
        }
    }

    private void line(String text) {
        if (!bar && !quiet) {
            err.println(text);
            err.flush();
        }
    }

    private void redraw(boolean now) {
        if (!bar) {
            return;
        }
        long time = System.nanoTime();
        if (now || time - lastDraw >= REDRAW_NANOS) {
            lastDraw = time;
            draw();
        }
    }

    private void draw() {
        long total = 0;
        long done = 0;
        int finished = 0;
        for (long[] state : blobs.values()) {
            total += state[0];
            done += Math.min(state[1], state[0]);
            finished += (int) state[2];
        }
        int filled = total == 0 ? WIDTH : (int) (WIDTH * done / total);
        String line = String.format(Locale.ROOT, "\r%s [%s%s] %3d%% %s / %s  %d/%d blobs ", verb,
                "#".repeat(filled), ".".repeat(WIDTH - filled), total == 0 ? 100 : 100 * done / total,
                bytes(done), bytes(total), finished, blobs.size());
        err.print(line);
        err.flush();
        drawn = true;
    }

    static String shortDigest(Digest digest) {
        return digest.algorithm().prefix() + ":" + digest.hex().substring(0, 12);
    }

    static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
