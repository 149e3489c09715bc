package io.berth.server.cli;

import io.berth.client.Page;
import io.berth.client.RegistryClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berth catalog REGISTRY}: the registry's repositories, page after page. */
@Command(name = "catalog", mixinStandardHelpOptions = true,
        description = "Lists the repositories of a registry (those the signed-in user may pull).")
final class CatalogCommand extends ClientCommand {
    @Parameters(paramLabel = "REGISTRY", description = "HOST[:PORT]")
    String registry;

    @Option(names = "--page-size", paramLabel = "N", description = "Names per request (default: the registry's).")
    int pageSize;

    @Override
    int run(Session session) throws Exception {
        RegistryClient client = session.client(registry);
        List<String> names = new ArrayList<>();
        for (Page page = client.catalog(pageSize, null); ; page = client.catalog(pageSize, page.next())) {
            names.addAll(page.items());
            if (!session.json()) {
                page.items().forEach(session.out()::println);
            }
            if (page.next() == null) {
                break;
            }
        }
        if (session.json()) {
            session.printJson(Map.of("repositories", names));
        }
        return ExitCodes.OK;
    }
}
