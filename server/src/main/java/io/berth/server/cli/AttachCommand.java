package io.berth.server.cli;

import io.berth.client.ArtifactFile;
import io.berth.client.Artifacts;
import io.berth.client.ImageReference;
import io.berth.client.PushedManifest;
import io.berth.client.RegistryError;
import io.berth.client.RegistryException;
import io.berth.client.Repository;
import io.berth.oci.Descriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berth attach SUBJECT --artifact-type T FILE[:MEDIATYPE]...}: an artifact that refers to an image. */
@Command(name = "attach", mixinStandardHelpOptions = true,
        description = {"Attaches an artifact (a signature, an SBOM, …) to an image: an OCI manifest with the "
                + "artifact type, the empty config, one layer per file and the image as its subject.",
                "On a registry without the referrers API, the image's referrers tag (sha256-<hex>) is updated."})
final class AttachCommand extends ClientCommand {
    /** What oras gives a file whose media type is not named. */
    static final String DEFAULT_FILE_TYPE = "application/vnd.oci.image.layer.v1.tar";

    @Parameters(index = "0", paramLabel = "SUBJECT", description = "REGISTRY/REPOSITORY:TAG or @DIGEST to refer to.")
    String subject;

    @Parameters(index = "1..*", paramLabel = "FILE[:MEDIATYPE]",
            description = "Files to attach (media type default: " + DEFAULT_FILE_TYPE + ").")
    List<String> files = new ArrayList<>();

    @Option(names = "--artifact-type", paramLabel = "TYPE", required = true,
            description = "The artifact's type, e.g. application/spdx+json.")
    String artifactType;

    @Option(names = {"-a", "--annotation"}, paramLabel = "KEY=VALUE",
            description = "An annotation of the artifact's manifest (repeatable).")
    Map<String, String> annotations = new LinkedHashMap<>();

    @Override
    int run(Session session) throws Exception {
        ImageReference reference = reference(subject);
        List<ArtifactFile> artifactFiles = new ArrayList<>();
        for (String file : files) {
            artifactFiles.add(file(file));
        }
        Repository repository = session.repository(reference);
        Descriptor target = repository.resolve(reference.reference()).orElseThrow(() -> new RegistryException(
                "HEAD " + reference, 404, List.of(new RegistryError("MANIFEST_UNKNOWN",
                        "no manifest " + reference + " to attach to", null))));
        Progress progress = session.progress("pushed");
        PushedManifest pushed;
        try {
            pushed = Artifacts.attach(repository, target, artifactType, artifactFiles, annotations, progress);
        } finally {
            progress.finish();
        }
        ImageReference artifact = reference.withDigest(pushed.descriptor().digest());
        if (session.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("reference", artifact.toString());
            json.put("mediaType", pushed.descriptor().mediaType());
            json.put("digest", pushed.descriptor().digest().toString());
            json.put("size", pushed.descriptor().size());
            json.put("artifactType", artifactType);
            json.put("subject", reference.withDigest(target.digest()).toString());
            json.put("referrersApi", pushed.subjectProcessed());
            session.printJson(json);
        } else {
            session.out().println("Attached to " + reference.withDigest(target.digest()));
            session.out().println("Digest: " + pushed.descriptor().digest());
        }
        return ExitCodes.OK;
    }

    /** {@code path[:media/type]}: a media type always holds a slash, so a colon before one starts it. */
    private static ArtifactFile file(String argument) throws java.io.IOException {
        int colon = argument.lastIndexOf(':');
        String path = argument;
        String mediaType = DEFAULT_FILE_TYPE;
        if (colon > 0 && argument.indexOf('/', colon) > colon && !Files.exists(Path.of(argument))) {
            path = argument.substring(0, colon);
            mediaType = argument.substring(colon + 1);
        }
        Path file = Path.of(path);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no such file: " + path);
        }
        return ArtifactFile.of(file, mediaType);
    }
}
