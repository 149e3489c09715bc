package io.berth.server.cli;

import io.berth.client.ImageReference;
import io.berth.client.PulledManifest;
import io.berth.client.Repository;
import io.berth.oci.Descriptor;
import io.berth.oci.Manifest;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/**
 * {@code berth inspect REF}: what a manifest is (media type, digest, size), what its image config says (platform,
 * created, entrypoint, command, labels), its layers, or, for an index, its platforms. {@code --raw} prints the
 * manifest exactly as the registry holds it, which is what its digest is taken over.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Shows a manifest: media type, digest, size, config (platform, entrypoint, labels), layers, "
                + "or an index's platforms.")
final class InspectCommand extends ClientCommand {
    /** Config media types that are image configs, whose fields this command reads. */
    private static final Set<String> IMAGE_CONFIGS = Set.of("application/vnd.oci.image.config.v1+json",
            "application/vnd.docker.container.image.v1+json");

    @Parameters(paramLabel = "REF", description = "REGISTRY/REPOSITORY[:TAG][@DIGEST]")
    String source;

    @Option(names = "--raw", description = "Print the manifest's bytes exactly as served, nothing else.")
    boolean raw;

    @Override
    int run(Session session) throws Exception {
        ImageReference reference = reference(source).orLatest();
        Repository repository = session.repository(reference);
        PulledManifest pulled = repository.pullManifest(reference.reference());
        if (raw) {
            session.out().print(new String(pulled.bytes(), StandardCharsets.UTF_8));
            session.out().flush();
            return ExitCodes.OK;
        }
        Manifest manifest = pulled.parsed();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("reference", reference.toString());
        json.put("mediaType", pulled.descriptor().mediaType());
        json.put("digest", pulled.descriptor().digest().toString());
        json.put("size", pulled.descriptor().size());
        if (manifest.isIndex()) {
            List<String> platforms = ImageGraph.childPlatforms(pulled.bytes());
            List<Map<String, Object>> children = new ArrayList<>();
            for (int i = 0; i < manifest.children().size(); i++) {
                Map<String, Object> child = descriptor(manifest.children().get(i));
                child.put("platform", platforms.get(i));
                children.add(child);
            }
            json.put("manifests", children);
        } else {
            json.put("artifactType", manifest.artifactType());
            Map<String, Object> config = descriptor(manifest.config());
            if (IMAGE_CONFIGS.contains(manifest.config().mediaType())) {
                config.putAll(imageConfig(session, repository.pullBlobBytes(manifest.config())));
            }
            json.put("config", config);
            json.put("layers", manifest.layers().stream().map(InspectCommand::descriptor).toList());
        }
        if (manifest.subject() != null) {
            json.put("subject", descriptor(manifest.subject()));
        }
        if (!manifest.annotations().isEmpty()) {
            json.put("annotations", manifest.annotations());
        }
        if (session.json()) {
            session.printJson(json);
        } else {
            print(session.out(), json);
        }
        return ExitCodes.OK;
    }

    private static Map<String, Object> descriptor(Descriptor descriptor) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("mediaType", descriptor.mediaType());
        json.put("digest", descriptor.digest().toString());
        json.put("size", descriptor.size());
        if (descriptor.artifactType() != null) {
            json.put("artifactType", descriptor.artifactType());
        }
        return json;
    }

    /** The fields of an image config people look for; those it lacks are left out. */
    private static Map<String, Object> imageConfig(Session session, byte[] bytes) {
        JsonNode config = session.jsonMapper().readTree(bytes);
        Map<String, Object> json = new LinkedHashMap<>();
        String os = config.path("os").asString(null);
        String architecture = config.path("architecture").asString(null);
        if (os != null && architecture != null) {
            String variant = config.path("variant").asString(null);
            json.put("platform", os + "/" + architecture + (variant == null ? "" : "/" + variant));
        }
        putText(json, "created", config.path("created"));
        JsonNode process = config.path("config");
        putList(json, "entrypoint", process.path("Entrypoint"));
        putList(json, "cmd", process.path("Cmd"));
        putList(json, "env", process.path("Env"));
        putText(json, "workingDir", process.path("WorkingDir"));
        putText(json, "user", process.path("User"));
        if (process.path("Labels").isObject() && !process.path("Labels").isEmpty()) {
            Map<String, String> labels = new LinkedHashMap<>();
            process.path("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asString("")));
            json.put("labels", labels);
        }
        return json;
    }

    private static void putText(Map<String, Object> json, String name, JsonNode value) {
        if (value.isString() && !value.asString().isEmpty()) {
            json.put(name, value.asString());
        }
    }

    private static void putList(Map<String, Object> json, String name, JsonNode value) {
        if (value.isArray()) {
            List<String> items = new ArrayList<>();
            value.forEach(item -> items.add(item.asString("")));
            json.put(name, items);
        }
    }

    @SuppressWarnings("unchecked")
    private static void print(PrintWriter out, Map<String, Object> json) {
        out.println("Reference:  " + json.get("reference"));
        out.println("Media type: " + json.get("mediaType"));
        out.println("Digest:     " + json.get("digest"));
        out.println("Size:       " + json.get("size") + " B");
        if (json.get("artifactType") instanceof String type && !IMAGE_CONFIGS.contains(type)) {
            out.println("Artifact:   " + type);
        }
        if (json.get("subject") instanceof Map<?, ?> subject) {
            out.println("Subject:    " + subject.get("digest"));
        }
        if (json.get("config") instanceof Map<?, ?> config) {
            out.println("Config:     " + config.get("digest") + " (" + config.get("mediaType") + ", "
                    + Progress.bytes((Long) config.get("size")) + ")");
            for (String field : List.of("platform", "created", "entrypoint", "cmd", "workingDir", "user")) {
                if (config.get(field) != null) {
                    out.printf("  %-11s %s%n", label(field) + ":", config.get(field));
                }
            }
            if (config.get("labels") instanceof Map<?, ?> labels) {
                out.println("  Labels:");
                labels.forEach((key, value) -> out.println("    " + key + "=" + value));
            }
        }
        if (json.get("layers") instanceof List<?> layers) {
            long total = 0;
            out.println("Layers:     " + layers.size());
            for (Object layer : layers) {
                Map<String, Object> entry = (Map<String, Object>) layer;
                total += (Long) entry.get("size");
                out.printf("  %s  %10s  %s%n", entry.get("digest"), Progress.bytes((Long) entry.get("size")),
                        entry.get("mediaType"));
            }
            out.println("  total " + Progress.bytes(total));
        }
        if (json.get("manifests") instanceof List<?> manifests) {
            out.println("Manifests:  " + manifests.size());
            for (Object child : manifests) {
                Map<String, Object> entry = (Map<String, Object>) child;
                Object platform = entry.get("platform");
                out.printf("  %s  %-16s %s%n", entry.get("digest"), platform == null ? "-" : platform,
                        entry.get("mediaType"));
            }
        }
        if (json.get("annotations") instanceof Map<?, ?> annotations) {
            out.println("Annotations:");
            annotations.forEach((key, value) -> out.println("  " + key + "=" + value));
        }
    }

    private static String label(String field) {
        return switch (field) {
            case "platform" -> "Platform";
            case "created" -> "Created";
            case "entrypoint" -> "Entrypoint";
            case "cmd" -> "Cmd";
            case "workingDir" -> "WorkingDir";
            default -> "User";
        };
    }
}
