package io.berth.server.cli;

import io.berth.client.DockerConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code berth logout REGISTRY}: forgets the saved login, in the file and in its credential helper. */
@Command(name = "logout", mixinStandardHelpOptions = true,
        description = "Removes the login saved for a registry in Docker's config.json.")
final class LogoutCommand extends ClientCommand {
    @Parameters(paramLabel = "REGISTRY", description = "HOST[:PORT]")
    String registry;

    @Override
    int run(Session session) throws Exception {
        String host = RegistryArgument.parse(registry);
        DockerConfig config = session.dockerConfig();
        boolean removed = config.logout(host);
        if (session.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("registry", host);
            json.put("removed", removed);
            json.put("config", config.file().toString());
            session.printJson(json);
        } else if (removed) {
            session.out().println("Removed the login for " + host + " from " + config.file());
        } else {
            session.out().println("Not logged in to " + host + " (nothing in " + config.file() + ")");
        }
        return ExitCodes.OK;
    }
}
