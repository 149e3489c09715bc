package io.berth.server.cli;

import io.berth.client.Artifacts;
import io.berth.client.ImageReference;
import io.berth.client.ReferrerTree;
import io.berth.client.RegistryError;
import io.berth.client.RegistryException;
import io.berth.client.Repository;
import io.berth.oci.Descriptor;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berth discover REF}: the artifacts that refer to an image, and theirs, as a tree. */
@Command(name = "discover", mixinStandardHelpOptions = true,
        description = "Shows the artifacts that refer to an image (signatures, SBOMs, …) and those that refer to "
                + "them, from the referrers API or, without it, the referrers tag schema.")
final class DiscoverCommand extends ClientCommand {
    @Parameters(paramLabel = "REF", description = "REGISTRY/REPOSITORY:TAG or @DIGEST.")
    String image;

    @Option(names = "--artifact-type", paramLabel = "TYPE",
            description = "Only artifacts of this type referring to the image (their own referrers are all shown).")
    String artifactType;

    @Option(names = "--depth", paramLabel = "N",
            description = "Levels of referrers of referrers to follow (default: " + Artifacts.DEFAULT_DEPTH + ").")
    int depth = Artifacts.DEFAULT_DEPTH;

    @Override
    int run(Session session) throws Exception {
        ImageReference reference = reference(image);
        Repository repository = session.repository(reference);
        Descriptor subject = repository.resolve(reference.reference()).orElseThrow(() -> new RegistryException(
                "HEAD " + reference, 404, List.of(new RegistryError("MANIFEST_UNKNOWN",
                        "no manifest " + reference, null))));
        ReferrerTree tree = Artifacts.discover(repository, subject, artifactType, depth);
        if (session.json()) {
            session.printJson(json(reference, tree));
        } else {
            session.out().println(reference.withDigest(subject.digest()));
            print(session.out(), tree.referrers(), "");
        }
        return ExitCodes.OK;
    }

    /** Like {@code oras discover}'s tree: each artifact type, and under it the artifacts of that type. */
    private static void print(PrintWriter out, List<ReferrerTree> referrers, String indent) {
        Map<String, List<ReferrerTree>> byType = new LinkedHashMap<>();
        for (ReferrerTree referrer : referrers) {
            String type = referrer.descriptor().artifactType();
            byType.computeIfAbsent(type == null ? "(no artifact type)" : type, t -> new ArrayList<>()).add(referrer);
        }
        int t = 0;
        for (Map.Entry<String, List<ReferrerTree>> entry : byType.entrySet()) {
            boolean lastType = ++t == byType.size();
            out.println(indent + (lastType ? "└── " : "├── ") + entry.getKey());
            String typeIndent = indent + (lastType ? "    " : "│   ");
            List<ReferrerTree> ofType = entry.getValue();
            for (int i = 0; i < ofType.size(); i++) {
                boolean last = i == ofType.size() - 1;
                out.println(typeIndent + (last ? "└── " : "├── ") + ofType.get(i).descriptor().digest());
                print(out, ofType.get(i).referrers(), typeIndent + (last ? "    " : "│   "));
            }
        }
    }

    private static Map<String, Object> json(ImageReference reference, ReferrerTree tree) {
        Descriptor descriptor = tree.descriptor();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("reference", reference.withDigest(descriptor.digest()).toString());
        json.put("mediaType", descriptor.mediaType());
        json.put("digest", descriptor.digest().toString());
        json.put("size", descriptor.size());
        if (descriptor.artifactType() != null) {
            json.put("artifactType", descriptor.artifactType());
        }
        if (!descriptor.annotations().isEmpty()) {
            json.put("annotations", descriptor.annotations());
        }
        json.put("referrers", tree.referrers().stream().map(child -> json(reference, child)).toList());
        return json;
    }
}
