package io.berth.server.cli;

import io.berth.client.CopyResult;
import io.berth.client.ImageCopier;
import io.berth.client.ImageReference;
import io.berth.client.Platform;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code berth copy SRC DST [SRC DST]...}: images, byte for byte, from one registry or repository to another; several
 * in one run share its connections and tokens, and its start.
 */
@Command(name = "copy", mixinStandardHelpOptions = true,
        description = {"Copies an image (or index) byte for byte, so that its digests stay the same, from one "
                + "registry or repository to another; blobs the target holds are not sent, blobs on the same "
                + "registry are mounted.",
                "With --platform, only those platforms of an index are copied: under a new index listing them "
                        + "unless every platform is chosen.",
                "Several SRC DST pairs copy several images, one after the other, in one run."})
final class CopyCommand extends ClientCommand {
    @Parameters(arity = "2..*", paramLabel = "SRC DST",
            description = "REGISTRY/REPOSITORY[:TAG][@DIGEST] to copy, then REGISTRY/REPOSITORY[:TAG] to copy it to "
                    + "(without a tag: SRC's tag, or by digest only); more pairs copy more images.")
    List<String> pairs = new ArrayList<>();

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
            description = "Copy only this platform of an index (repeatable; default: all).")
    List<String> platforms = new ArrayList<>();

    @Option(names = {"-r", "--referrers"},
            description = "Copy the referrers too (signatures, SBOMs, …, and theirs in turn).")
    boolean referrers;

    @Option(names = {"-j", "--concurrency"}, paramLabel = "N",
            description = "Blobs to transfer at once (default: " + ImageCopier.DEFAULT_CONCURRENCY + ").")
    int concurrency = ImageCopier.DEFAULT_CONCURRENCY;

    @Override
    int run(Session session) throws Exception {
        if (pairs.size() % 2 != 0) {
            throw new IllegalArgumentException("copy takes SRC DST pairs; " + pairs.getLast() + " has no DST");
        }
        List<Map<String, Object>> copies = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i += 2) {
            copies.add(copy(session, reference(pairs.get(i)), reference(pairs.get(i + 1))));
        }
        if (session.json()) {
            session.printJson(copies.size() == 1 ? copies.getFirst() : copies);
        }
        return ExitCodes.OK;
    }

    private Map<String, Object> copy(Session session, ImageReference from, ImageReference to) throws Exception {
        String targetReference = to.tag() != null ? to.tag()
                : to.digest() != null ? to.digest().toString() : from.tag();
        Progress progress = session.progress("copied");
        ImageCopier.Builder copier = ImageCopier.builder().referrers(referrers).concurrency(concurrency)
                .progress(progress);
        copier.platforms(platforms.stream().map(Platform::parse).toList());
        CopyResult result;
        try {
            result = copier.build().copy(session.repository(from), from.reference(), session.repository(to),
                    targetReference);
        } finally {
            progress.finish();
        }
        String copied = to.withDigest(result.manifest().digest()).toString();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("source", from.toString());
        json.put("reference", targetReference == null ? copied : to.withTag(targetReference).toString());
        json.put("mediaType", result.manifest().mediaType());
        json.put("digest", result.manifest().digest().toString());
        json.put("size", result.manifest().size());
        json.put("manifestsPushed", result.manifestsPushed());
        json.put("blobsCopied", result.blobsCopied());
        json.put("blobsSkipped", result.blobsSkipped());
        json.put("blobsMounted", result.blobsMounted());
        json.put("bytesCopied", result.bytesCopied());
        json.put("referrersCopied", result.referrersCopied());
        if (!session.json()) {
            session.out().println("Copied " + from + " to " + copied);
            session.out().println(result.blobsCopied() + " blobs sent (" + Progress.bytes(result.bytesCopied())
                    + "), " + result.blobsSkipped() + " already there, " + result.blobsMounted() + " mounted; "
                    + result.manifestsPushed() + " manifests pushed"
                    + (referrers ? ", " + result.referrersCopied() + " referrers" : ""));
        }
        return json;
    }
}
