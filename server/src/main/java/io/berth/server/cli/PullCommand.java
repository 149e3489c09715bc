package io.berth.server.cli;

import io.berth.client.ImageCopier;
import io.berth.client.ImageReference;
import io.berth.client.Platform;
import io.berth.client.PulledManifest;
import io.berth.client.Repository;
import io.berth.client.layout.OciLayoutWriter;
import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.Manifest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code berth pull REF DIR}: an image into an OCI image layout directory, created or extended, named in
 * {@code index.json} by its tag. An index comes whole, every platform, as {@code oras copy --to-oci-layout} and
 * {@code crane pull --format oci} keep it; {@code --platform} takes just that platform's manifest, as skopeo does
 * without {@code --all}. Manifests are written byte for byte, so the layout's digests are the registry's, Docker media
 * types included.
 */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = "Pulls an image (every platform of an index, unless --platform) into an OCI image layout "
                + "directory.")
final class PullCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "REF", description = "REGISTRY/REPOSITORY[:TAG][@DIGEST]")
    String source;

    @Parameters(index = "1", paramLabel = "DIR[:NAME]",
            description = "The layout directory (created when missing), and the name to give the image in its "
                    + "index.json (default: the tag; none when pulled by digest alone).")
    String layout;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
            description = "From an index, pull only this platform's image.")
    String platform;

    @Option(names = {"-j", "--concurrency"}, paramLabel = "N",
            description = "Blobs fetched at once (default: " + ImageCopier.DEFAULT_CONCURRENCY + ").")
    int concurrency = ImageCopier.DEFAULT_CONCURRENCY;

    @Override
    int run(Session session) throws Exception {
        ImageReference reference = reference(source).orLatest();
        LayoutArgument target = LayoutArgument.parse(layout);
        Platform choice = platform == null ? null : Platform.parse(platform);
        Repository repository = session.repository(reference);
        PulledManifest top = repository.pullManifest(reference.reference());
        if (choice != null) {
            top = choosePlatform(repository, top, choice, reference);
        }
        Map<Digest, byte[]> pulled = new LinkedHashMap<>();
        pulled.put(top.descriptor().digest(), top.bytes());
        ImageGraph graph = ImageGraph.walk(top.descriptor(), descriptor -> {
            byte[] bytes = pulled.get(descriptor.digest());
            return bytes != null ? bytes : repository.pullManifest(descriptor.digest().toString()).bytes();
        });

        OciLayoutWriter writer = OciLayoutWriter.create(target.path());
        Progress progress = session.progress("pulling");
        TransferTally tally = new TransferTally();
        try {
            Parallel.forEach(graph.blobs(), concurrency, blob -> {
                if (writer.hasBlob(blob.digest())) {
                    progress.skipped(blob);
                    tally.skipped();
                    return;
                }
                // Straight into the layout: checked against the digest once, on the way in.
                Path file = writer.blobPath(blob.digest());
                Files.createDirectories(file.getParent());
                repository.pullBlob(blob, file, progress);
                tally.transferred(blob.size());
            });
        } finally {
            progress.finish();
        }
        for (ImageGraph.Node node : graph.manifests()) {
            writer.writeBlob(node.descriptor().digest(), new ByteArrayInputStream(node.bytes()));
        }
        Descriptor written = graph.top().descriptor();
        String name = target.name() != null ? target.name() : reference.tag();
        writer.tag(new Descriptor(written.mediaType(), written.digest(), written.size()), name);

        if (session.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("reference", reference.toString());
            json.put("digest", written.digest().toString());
            json.put("mediaType", written.mediaType());
            json.put("size", written.size());
            json.put("layout", target.path().toString());
            json.put("name", name);
            json.put("manifests", graph.manifests().size());
            json.put("blobs", tally.json());
            session.printJson(json);
        } else {
            session.err().println(tally.describe("fetched"));
            session.out().println("Pulled " + reference + " into " + target.path()
                    + (name == null ? "" : " as " + name));
            session.out().println("Digest: " + written.digest());
        }
        return ExitCodes.OK;
    }

    /** The child of an index for the platform; a single image is taken as it is (its config says its platform). */
    private static PulledManifest choosePlatform(Repository repository, PulledManifest top, Platform choice,
                                                 ImageReference reference) throws IOException {
        Manifest manifest = top.parsed();
        if (!manifest.isIndex()) {
            return top;
        }
        List<String> platforms = ImageGraph.childPlatforms(top.bytes());
        for (int i = 0; i < platforms.size(); i++) {
            if (platforms.get(i) != null && choice.matches(Platform.parse(platforms.get(i)))) {
                Descriptor child = manifest.children().get(i);
                return repository.pullManifest(child.digest().toString());
            }
        }
        List<String> offered = new ArrayList<>(platforms.stream().filter(Objects::nonNull).distinct().toList());
        throw new NotFoundException("no image for " + choice + " in " + reference + " (it has "
                + String.join(", ", offered) + ")");
    }
}
