package io.berth.server.cli;

import io.berth.client.BlobSource;
import io.berth.client.ImageCopier;
import io.berth.client.ImageReference;
import io.berth.client.PushedManifest;
import io.berth.client.Repository;
import io.berth.client.layout.InvalidLayoutException;
import io.berth.client.layout.OciLayout;
import io.berth.oci.Descriptor;
import io.berth.oci.Names;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code berth push LAYOUT[:NAME] TARGET}: an image from an OCI image layout (a directory, or a tar of one) to a
 * registry. Blobs first (those the registry lacks, several at a time), then an index's children, then the manifest
 * itself under TARGET's tag: the order in which every manifest the registry sees references only what it already
 * holds.
 */
@Command(name = "push", mixinStandardHelpOptions = true,
        description = "Pushes an image from an OCI image layout (a directory, or a tar of one) to a registry.")
final class PushCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "LAYOUT[:NAME]",
            description = "The layout, and the org.opencontainers.image.ref.name of the image in its index.json "
                    + "(may be left out when the layout holds one image).")
    String layout;

    @Parameters(index = "1", paramLabel = "TARGET",
            description = "REGISTRY/REPOSITORY[:TAG] (without a tag: the layout's NAME, else latest).")
    String target;

    @Option(names = {"-j", "--concurrency"}, paramLabel = "N",
            description = "Blobs sent at once (default: " + ImageCopier.DEFAULT_CONCURRENCY + ").")
    int concurrency = ImageCopier.DEFAULT_CONCURRENCY;

    @Override
    int run(Session session) throws Exception {
        LayoutArgument source = LayoutArgument.parse(layout);
        ImageReference reference = reference(target);
        try (OciLayout oci = OciLayout.open(source.path())) {
            Descriptor entry = oci.resolve(source.name());
            ImageGraph graph = ImageGraph.walk(entry, oci::readManifest);
            String tag = tagFor(reference, source, entry);
            if (reference.digest() != null && !reference.digest().equals(graph.top().descriptor().digest())) {
                throw new IllegalArgumentException("the layout's image is " + graph.top().descriptor().digest()
                        + ", not " + reference.digest());
            }
            Repository repository = session.repository(reference);
            Progress progress = session.progress("pushing");
            TransferTally tally = new TransferTally();
            try {
                Parallel.forEach(graph.blobs(), concurrency, blob -> {
                    if (repository.hasBlob(blob.digest())) {
                        progress.skipped(blob);
                        tally.skipped();
                        return;
                    }
                    Optional<BlobSource> bytes = oci.blob(blob.digest());
                    if (bytes.isEmpty()) {
                        throw new InvalidLayoutException("blob " + blob.digest() + " (" + blob.mediaType()
                                + ") is missing from " + source.path() + " and from the registry");
                    }
                    repository.pushBlob(blob, bytes.get(), progress);
                    tally.transferred(blob.size());
                });
            } finally {
                progress.finish();
            }
            PushedManifest pushed = null;
            for (ImageGraph.Node node : graph.manifests()) {
                boolean top = node == graph.top();
                String as = top && tag != null ? tag : node.descriptor().digest().toString();
                pushed = repository.pushManifest(as, node.bytes(), node.manifest().mediaType());
            }
            ImageReference result = tag == null ? reference.withDigest(pushed.descriptor().digest())
                    : reference.withTag(tag);
            if (session.json()) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("reference", result.toString());
                json.put("digest", pushed.descriptor().digest().toString());
                json.put("mediaType", pushed.descriptor().mediaType());
                json.put("size", pushed.descriptor().size());
                json.put("manifests", graph.manifests().size());
                json.put("blobs", tally.json());
                session.printJson(json);
            } else {
                session.err().println(tally.describe("pushed"));
                session.out().println("Pushed " + result);
                session.out().println("Digest: " + pushed.descriptor().digest());
            }
            return ExitCodes.OK;
        }
    }

    /** TARGET's tag, else the name the image was picked by, else the layout entry's name, else latest; null: by digest. */
    private static String tagFor(ImageReference reference, LayoutArgument source, Descriptor entry) {
        if (reference.tag() != null) {
            return reference.tag();
        }
        if (reference.digest() != null) {
            return null;
        }
        String name = source.name() != null ? source.name() : entry.annotations().get(OciLayout.REF_NAME);
        if (name != null && Names.isValidTag(name)) {
            return name;
        }
        return "latest";
    }
}
