package io.berth.server.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** How many blobs a push or pull sent and skipped, counted from the transfer threads. */
final class TransferTally {
    private final AtomicInteger transferred = new AtomicInteger();
    private final AtomicInteger skipped = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();

    void transferred(long size) {
        transferred.incrementAndGet();
        bytes.addAndGet(size);
    }

    void skipped() {
        skipped.incrementAndGet();
    }

    /** For {@code --json}: {@code transferred}, {@code skipped} and the bytes sent. */
    Map<String, Object> json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("transferred", transferred.get());
        json.put("skipped", skipped.get());
        json.put("bytes", bytes.get());
        return json;
    }

    String describe(String verb) {
        return transferred.get() + " blob" + (transferred.get() == 1 ? "" : "s") + " " + verb + " ("
                + Progress.bytes(bytes.get()) + "), " + skipped.get() + " already there";
    }
}
