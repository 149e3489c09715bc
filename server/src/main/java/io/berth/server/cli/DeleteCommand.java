package io.berth.server.cli;

import io.berth.client.ImageReference;
import io.berth.client.Repository;
import io.berth.oci.Digest;
import java.io.Console;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code berth delete REF}: deletes a manifest. Given a tag, the tag is resolved to its digest and the manifest is
 * deleted, as {@code oras manifest delete} and {@code regctl manifest delete} do: the registry then drops every tag
 * pointing at it, which is why a terminal user is asked first. (Deleting only the tag, {@code DELETE} on the tag,
 * is something most registries refuse, Distribution included.)
 */
@Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Deletes a manifest, by digest or by tag (the tag's manifest, with every tag pointing at it).")
final class DeleteCommand extends ClientCommand {
    @Parameters(paramLabel = "REF", description = "REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@DIGEST")
    String source;

    @Option(names = {"-y", "--yes"},
            description = "Do not ask for confirmation (asked only when stdin and stdout are a terminal).")
    boolean yes;

    @Override
    int run(Session session) throws Exception {
        ImageReference reference = reference(source);
        if (reference.tag() == null && reference.digest() == null) {
            throw new IllegalArgumentException("name the manifest to delete by tag or digest: " + source
                    + ":TAG or " + source + "@sha256:…");
        }
        Repository repository = session.repository(reference);
        Digest digest = reference.digest();
        if (digest == null) {
            digest = repository.resolve(reference.tag())
                    .orElseThrow(() -> new NotFoundException("no manifest is tagged " + reference.tag() + " in "
                            + reference.registry() + "/" + reference.repository()))
                    .digest();
        }
        ImageReference target = reference.withDigest(digest);
        if (!yes && session.terminal() && !confirmed(target, reference.tag())) {
            session.err().println("berth: not deleted");
            return ExitCodes.FAILED;
        }
        repository.delete(digest.toString());
        if (session.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("deleted", target.toString());
            json.put("digest", digest.toString());
            session.printJson(json);
        } else {
            session.out().println("Deleted " + target);
        }
        return ExitCodes.OK;
    }

    private static boolean confirmed(ImageReference target, String tag) {
        Console console = System.console();
        String question = "Delete " + target + (tag == null ? "" : " (tagged " + tag + ")")
                + ", with every tag pointing at it? [y/N] ";
        String answer = console.readLine("%s", question);
        if (answer == null) {
            return false;
        }
        String said = answer.strip().toLowerCase(Locale.ROOT);
        return said.equals("y") || said.equals("yes");
    }
}
