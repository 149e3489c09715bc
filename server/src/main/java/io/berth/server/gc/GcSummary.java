package io.berth.server.gc;

import io.berth.registry.ByteSizes;

import io.berth.registry.gc.GcReport;
import io.berth.registry.gc.GcReport.Kind;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** A garbage collection report as people and programs read it: a log line, the CLI's text, the admin API's JSON. */
public final class GcSummary {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Map<Kind, String> NAMES = Map.of(Kind.UPLOAD, "upload sessions", Kind.MANIFEST,
            "untagged manifests", Kind.REFERRER, "referrers", Kind.LINK, "repository links", Kind.BLOB, "blobs");

    private GcSummary() {
    }

    public static String oneLine(GcReport report) {
        StringBuilder line = new StringBuilder(report.dryRun() ? "garbage collection dry run" : "garbage collection")
                .append(" took ").append(report.took().toMillis()).append(" ms:");
        for (Kind kind : Kind.values()) {
            line.append(' ').append(report.tally(kind).count()).append(' ').append(NAMES.get(kind)).append(',');
        }
        line.append(' ').append(ByteSizes.format(report.bytesFreed())).append(report.dryRun() ? " to free" : " freed");
        return line.toString();
    }

    /** The CLI's report: counts and sizes per kind, then every item listed. */
    public static void print(GcReport report, PrintWriter out) {
        out.printf(Locale.ROOT, "Garbage collection %s in %.2f s%s%n", report.dryRun() ? "dry run finished" : "finished",
                report.took().toNanos() / 1e9, report.dryRun() ? "; nothing was deleted" : "");
        for (Kind kind : Kind.values()) {
            GcReport.Tally tally = report.tally(kind);
            boolean storage = kind == Kind.BLOB || kind == Kind.UPLOAD;
            out.printf(Locale.ROOT, "  %-20s %8d%s%n", NAMES.get(kind), tally.count(),
                    storage && tally.count() > 0 ? "  " + ByteSizes.format(tally.bytes()) : "");
        }
        out.println("  " + (report.dryRun() ? "storage to free: " : "storage freed: ") + ByteSizes.format(report.bytesFreed()));
        if (report.items().isEmpty()) {
            return;
        }
        out.println();
        out.println(report.dryRun() ? "Would delete:" : "Deleted:");
        for (GcReport.Item item : report.items()) {
            String where = item.repository() == null ? "" : item.repository() + (item.kind() == Kind.UPLOAD ? " " : "@");
            out.printf(Locale.ROOT, "  %-9s %s%s  %s%n", item.kind().name().toLowerCase(Locale.ROOT), where,
                    item.reference(), ByteSizes.format(item.size()));
        }
        if (report.itemsTruncated()) {
            out.println("  ... and more (the first " + report.items().size() + " are listed)");
        }
    }

    /** The admin API's answer. */
    public static byte[] json(GcReport report) {
        ObjectNode root = JSON.createObjectNode();
        root.put("dryRun", report.dryRun());
        root.put("startedAt", report.startedAt().toString());
        root.put("tookMillis", report.took().toMillis());
        root.put("bytesFreed", report.bytesFreed());
        ObjectNode collected = root.putObject("collected");
        for (Kind kind : Kind.values()) {
            ObjectNode tally = collected.putObject(kind.label());
            tally.put("count", report.tally(kind).count());
            tally.put("bytes", report.tally(kind).bytes());
        }
        ArrayNode items = root.putArray("items");
        for (GcReport.Item item : report.items()) {
            ObjectNode node = items.addObject();
            node.put("kind", item.kind().name().toLowerCase(Locale.ROOT));
            if (item.repository() != null) {
                node.put("repository", item.repository());
            }
            node.put(item.kind() == Kind.UPLOAD ? "id" : "digest", item.reference());
            node.put("size", item.size());
        }
        root.put("itemsTruncated", report.itemsTruncated());
        return JSON.writeValueAsBytes(root);
    }
}
