package io.berth.server.cli;

import io.berth.client.ImageReference;
import io.berth.client.PulledManifest;
import io.berth.client.Repository;
import io.berth.oci.Names;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code berth tag REF NEWTAG...}: more tags for a manifest, in the same repository. The manifest's exact bytes are
 * pushed again under each tag: the registry holds its blobs already, so nothing else is sent and the digest stays.
 */
@Command(name = "tag", mixinStandardHelpOptions = true,
        description = "Tags a manifest with more tags in its repository (no blob is sent again).")
final class TagCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "REF", description = "REGISTRY/REPOSITORY[:TAG][@DIGEST]")
    String source;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "NEWTAG", description = "The tags to add.")
    List<String> tags;

    @Override
    int run(Session session) throws Exception {
        ImageReference reference = reference(source).orLatest();
        for (String tag : tags) {
            if (!Names.isValidTag(tag)) {
                throw new IllegalArgumentException("not a tag: " + tag + " (a tag is up to 128 letters, digits, "
                        + "'_', '.' and '-', not starting with '.' or '-'; it names the same repository)");
            }
        }
        Repository repository = session.repository(reference);
        PulledManifest manifest = repository.pullManifest(reference.reference());
        for (String tag : tags) {
            repository.pushManifest(tag, manifest.bytes(), manifest.descriptor().mediaType());
            if (!session.json()) {
                session.out().println("Tagged " + reference.withTag(tag));
            }
        }
        if (session.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("repository", reference.registry() + "/" + reference.repository());
            json.put("digest", manifest.descriptor().digest().toString());
            json.put("tags", tags);
            session.printJson(json);
        }
        return ExitCodes.OK;
    }
}
