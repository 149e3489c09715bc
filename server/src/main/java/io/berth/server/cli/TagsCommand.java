package io.berth.server.cli;

import io.berth.client.ImageReference;
import io.berth.client.Page;
import io.berth.client.Repository;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berth tags REPOSITORY}: the repository's tags, page after page. */
@Command(name = "tags", mixinStandardHelpOptions = true, description = "Lists a repository's tags.")
final class TagsCommand extends ClientCommand {
    @Parameters(paramLabel = "REPOSITORY", description = "REGISTRY/REPOSITORY (a tag or digest given is ignored).")
    String repository;

    @Option(names = "--page-size", paramLabel = "N", description = "Tags per request (default: the registry's).")
    int pageSize;

    @Override
    int run(Session session) throws Exception {
        ImageReference reference = reference(repository);
        Repository repo = session.repository(reference);
        List<String> tags = new ArrayList<>();
        for (Page page = repo.tags(pageSize, null); ; page = repo.tags(pageSize, page.next())) {
            tags.addAll(page.items());
            if (!session.json()) {
                page.items().forEach(session.out()::println);
            }
            if (page.next() == null) {
                break;
            }
        }
        if (session.json()) {
            session.printJson(Map.of("name", reference.repository(), "tags", tags));
        }
        return ExitCodes.OK;
    }
}
