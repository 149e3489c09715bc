package io.berth.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class DockerConfigTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;
    Path file;
    Path helpers;

    /**
     * A credential helper speaking docker-credential-helpers' protocol, keeping each server's JSON in a file named by
     * the server URL's hash, and logging every call as {@code action input}.
     */
    @BeforeEach
    void writeFakeHelper() throws Exception {
        file = dir.resolve("docker").resolve("config.json");
        helpers = dir.resolve("bin");
        Files.createDirectories(helpers);
        Path helper = helpers.resolve("docker-credential-test");
        Files.writeString(helper, """
                #!/bin/sh
                home="$(dirname "$0")"
                mkdir -p "$home/store"
                input="$(cat)"
                printf '%s %s\\n' "$1" "$input" >> "$home/calls"
                case "$1" in
                  store) url="$(printf '%s' "$input" | sed 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/')"
                         printf '%s' "$input" > "$home/store/$(printf '%s' "$url" | sha256sum | cut -c1-64)" ;;
                  get|erase) f="$home/store/$(printf '%s' "$input" | sha256sum | cut -c1-64)"
                         if [ ! -f "$f" ]; then echo "credentials not found in native keychain"; exit 1; fi
                         if [ "$1" = get ]; then cat "$f"; else rm "$f"; fi ;;
                  *) echo "unknown action $1" >&2; exit 2 ;;
                esac
                """);
        Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
    }

    private DockerConfig config() {
        return DockerConfig.at(file).withHelperDirectories(List.of(helpers));
    }

    private void writeConfig(String json) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, json);
    }

    private static String auth(String user, String password) {
        return Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anAuthsEntryGivesBasicFromAuthOrUsernameAndPasswordAndAnIdentityTokenAsSuch() throws Exception {
        writeConfig("""
                {"auths": {
                  "registry.example:5000": {"auth": "%s"},
                  "https://other.example/v1/": {"username": "bob", "password": "pw:with:colons"},
                  "http://tokens.example": {"auth": "%s", "identitytoken": "refresh-me"},
                  "empty.example": {}
                }}""".formatted(auth("alice", "s3cret:x"), auth("ignored", "")));
        DockerConfig config = config();
        assertThat(config.credentialsFor("registry.example:5000"))
                .contains(new Credentials.Basic("alice", "s3cret:x"));
        assertThat(config.credentialsFor("other.example")).contains(new Credentials.Basic("bob", "pw:with:colons"));
        assertThat(config.credentialsFor("tokens.example")).contains(new Credentials.IdentityToken("refresh-me"));
        assertThat(config.credentialsFor("empty.example")).isEmpty();
        assertThat(config.credentialsFor("registry.example")).as("another port is another registry").isEmpty();
    }

    @Test
    void dockerHubIsFoundUnderAnyOfItsNamesAndWrittenWhereDockerWritesIt() throws Exception {
        writeConfig("""
                {"auths": {"https://index.docker.io/v1/": {"auth": "%s"}}}""".formatted(auth("hub", "pw")));
        assertThat(config().credentialsFor("docker.io")).contains(new Credentials.Basic("hub", "pw"));
        assertThat(config().credentialsFor("registry-1.docker.io")).contains(new Credentials.Basic("hub", "pw"));

        writeConfig("""
                {"auths": {"index.docker.io": {"auth": "%s"}}}""".formatted(auth("old", "pw")));
        assertThat(config().credentialsFor("docker.io")).contains(new Credentials.Basic("old", "pw"));
        config().login("docker.io", new Credentials.Basic("new", "pw2"));
        JsonNode auths = JSON.readTree(file.toFile()).get("auths");
        assertThat(auths.has(DockerConfig.DOCKER_HUB_KEY)).isTrue();
        assertThat(config().credentialsFor("docker.io")).contains(new Credentials.Basic("new", "pw2"));

        assertThat(config().logout("docker.io")).isTrue();
        assertThat(JSON.readTree(file.toFile()).get("auths").size()).as("every spelling is logged out").isZero();
    }

    @Test
    void loginWritesAnOwnerOnlyFileKeepingEveryOtherFieldAndLogoutRemovesTheEntry() throws Exception {
        writeConfig("""
                {"auths": {"keep.example": {"auth": "%s", "email": "x@example"}},
                 "psFormat": "table {{.ID}}", "proxies": {"default": {"httpProxy": "http://proxy:3128"}},
                 "currentContext": "desktop"}""".formatted(auth("k", "v")));
        DockerConfig config = config();
        config.login("127.0.0.1:5000", new Credentials.Basic("u", "p"));
        config.login("tokens.example", new Credentials.IdentityToken("refresh"));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        JsonNode root = JSON.readTree(file.toFile());
        assertThat(root.get("psFormat").asString()).isEqualTo("table {{.ID}}");
        assertThat(root.at("/proxies/default/httpProxy").asString()).isEqualTo("http://proxy:3128");
        assertThat(root.get("currentContext").asString()).isEqualTo("desktop");
        assertThat(root.at("/auths/keep.example/email").asString()).isEqualTo("x@example");
        assertThat(root.at("/auths/127.0.0.1:5000/auth").asString()).isEqualTo(auth("u", "p"));
        assertThat(root.at("/auths/tokens.example/identitytoken").asString()).isEqualTo("refresh");
        assertThat(config.credentialsFor("127.0.0.1:5000")).contains(new Credentials.Basic("u", "p"));
        assertThat(config.credentialsFor("tokens.example")).contains(new Credentials.IdentityToken("refresh"));

        assertThat(config.logout("127.0.0.1:5000")).isTrue();
        assertThat(config.logout("127.0.0.1:5000")).isFalse();
        assertThat(config.credentialsFor("127.0.0.1:5000")).isEmpty();
        assertThat(config.credentialsFor("keep.example")).contains(new Credentials.Basic("k", "v"));
        try (var left = Files.list(file.getParent())) {
            assertThat(left).as("no temporary file is left beside it").containsExactly(file);
        }
    }

    @Test
    void loginCreatesTheDirectoryAndFileWhenThereIsNone() throws Exception {
        assertThat(config().credentialsFor("127.0.0.1:5000")).isEmpty();
        assertThat(config().logout("127.0.0.1:5000")).isFalse();
        assertThat(file).doesNotExist();
        config().login("127.0.0.1:5000", new Credentials.Basic("u", "p"));
        assertThat(config().credentialsFor("127.0.0.1:5000")).contains(new Credentials.Basic("u", "p"));
    }

    @Test
    void aCredsStoreKeepsTheSecretsAndTheFileAnEmptyEntryAsDockerWrites() throws Exception {
        writeConfig("{\"credsStore\": \"test\"}");
        DockerConfig config = config();
        config.login("127.0.0.1:5000", new Credentials.Basic("u", "p"));
        config.login("docker.io", new Credentials.IdentityToken("refresh"));

        JsonNode auths = JSON.readTree(file.toFile()).get("auths");
        assertThat(auths.get("127.0.0.1:5000").size()).isZero();
        assertThat(auths.get(DockerConfig.DOCKER_HUB_KEY).size()).isZero();
        assertThat(Files.readString(file)).doesNotContain("refresh");
        assertThat(config.credentialsFor("127.0.0.1:5000")).contains(new Credentials.Basic("u", "p"));
        assertThat(config.credentialsFor("docker.io")).contains(new Credentials.IdentityToken("refresh"));
        assertThat(config.credentialsFor("elsewhere.example")).as("the helper's not-found is anonymous").isEmpty();
        assertThat(Files.readString(helpers.resolve("calls")))
                .contains("store {\"ServerURL\":\"https://index.docker.io/v1/\",\"Username\":\"<token>\",\"Secret\":\"refresh\"}")
                .contains("get https://index.docker.io/v1/");

        assertThat(config.logout("127.0.0.1:5000")).isTrue();
        assertThat(config.credentialsFor("127.0.0.1:5000")).isEmpty();
        assertThat(JSON.readTree(file.toFile()).get("auths").has("127.0.0.1:5000")).isFalse();
    }

    @Test
    void aCredHelpersEntryWinsOverTheFileForItsRegistryOnly() throws Exception {
        writeConfig("""
                {"credHelpers": {"https://helped.example": "test"},
                 "auths": {"helped.example": {"auth": "%s"}, "plain.example": {"auth": "%s"}}}"""
                .formatted(auth("file", "x"), auth("plain", "y")));
        DockerConfig config = config();
        assertThat(config.credentialsFor("helped.example")).as("the helper holds nothing yet").isEmpty();
        config.login("helped.example", new Credentials.Basic("helper", "z"));
        assertThat(config.credentialsFor("helped.example")).contains(new Credentials.Basic("helper", "z"));
        assertThat(config.credentialsFor("plain.example")).contains(new Credentials.Basic("plain", "y"));
        assertThat(Files.readString(file)).doesNotContain(auth("helper", "z"));
    }

    @Test
    void aHelperThatIsMissingOrFailsIsAnErrorNotAnonymous() throws Exception {
        writeConfig("{\"credsStore\": \"absent\"}");
        assertThatThrownBy(() -> config().credentialsFor("r.example"))
                .hasMessageContaining("docker-credential-absent");
        Files.writeString(helpers.resolve("docker-credential-test"), "#!/bin/sh\necho keychain locked >&2\nexit 3\n");
        writeConfig("{\"credsStore\": \"test\"}");
        assertThatThrownBy(() -> config().credentialsFor("r.example"))
                .hasMessageContaining("exit code 3").hasMessageContaining("keychain locked");
    }

    @Test
    void loadReadsDockerConfigWhenSetElseTheHomeDirectory() {
        Path home = dir.resolve("home");
        assertThat(DockerConfig.load(dir.resolve("custom").toString(), home).file())
                .isEqualTo(dir.resolve("custom/config.json"));
        assertThat(DockerConfig.load("", home).file()).isEqualTo(home.resolve(".docker/config.json"));
        assertThat(DockerConfig.load(null, home).file()).isEqualTo(home.resolve(".docker/config.json"));
    }
}
