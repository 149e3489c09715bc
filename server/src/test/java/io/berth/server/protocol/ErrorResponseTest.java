package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.assertError;
import static io.berth.server.protocol.RegistryClient.assertErrorBody;
import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.TestContent.OCI_MANIFEST;
import static io.berth.server.protocol.TestContent.sha256;
import static io.berth.server.protocol.TestContent.uniqueRepository;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.protocol.RegistryClient.PushedImage;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * Distribution spec, "Error Codes": every refusal carries {@code {"errors":[{"code","message","detail"}]}} with the
 * code that names the problem, and bad input never yields a 5xx or a stack trace.
 */
class ErrorResponseTest extends PerBackendRegistryTest {
    /** 256 characters: the Docker API requires a name to be shorter than that. */
    private static final String TOO_LONG_NAME = "a".repeat(127) + "/" + "b".repeat(128);
    /** The repository and blob that {@link #badRequests} aim at, so that requests reach the parsing they test. */
    private static final String BAD_INPUT = "bad-input";
    private static final byte[] BAD_INPUT_BLOB = "a small blob whose ranges the bad requests read".getBytes(StandardCharsets.UTF_8);

    private static String repository;
    private static PushedImage image;

    @BeforeParameterizedClassInvocation
    static void pushWhatTheRequestsAimAt() {
        repository = uniqueRepository("errors");
        image = client.pushImage(repository, "latest");
        client.pushImage(BAD_INPUT, "latest");
        client.pushBlob(BAD_INPUT, BAD_INPUT_BLOB);
    }

    /** Names as they appear in the URL path (percent-encoded where a raw character could not be sent). */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"UpperCase", "library/Ubuntu", "a..b", "-leading-dash", "trailing-dash-", "_underscore",
            "a/-b", "a.", "with%20space", "caf%C3%A9", "semi%3Bcolon", "a___b"})
    void nameOutsideTheGrammarIsNameInvalid(String name) {
        assertError(client.get("/v2/" + name + "/tags/list"), 400, "NAME_INVALID");
        assertError(client.get("/v2/" + name + "/manifests/latest"), 400, "NAME_INVALID");
        assertError(client.post("/v2/" + name + "/blobs/uploads/", new byte[0]), 400, "NAME_INVALID");
    }

    @Test
    void nameOf256CharactersIsNameInvalid() {
        assertThat(TOO_LONG_NAME).hasSize(256);

        assertError(client.get("/v2/" + TOO_LONG_NAME + "/tags/list"), 400, "NAME_INVALID");
        assertError(client.post("/v2/" + TOO_LONG_NAME + "/blobs/uploads/", new byte[0]), 400, "NAME_INVALID");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/v2//leading-slash/tags/list", "/v2/a//b/tags/list", "/v2/%2e%2e/tags/list",
            "/v2/a/%2E%2E/b/tags/list"})
    void nameWithEmptyOrDotDotSegmentsIsNameInvalid(String path) {
        assertError(client.get(path), 400, "NAME_INVALID");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"-leading-dash", ".leading-dot", "with+plus", "with%20space", "caf%C3%A9"})
    void manifestPutToAnInvalidTagIsManifestInvalid(String tag) {
        assertError(client.putManifest(repository, tag, OCI_MANIFEST, image.manifest()), 400, "MANIFEST_INVALID");
    }

    @Test
    void manifestPutToATagOf129CharactersIsManifestInvalid() {
        assertError(client.putManifest(repository, "t".repeat(129), OCI_MANIFEST, image.manifest()), 400, "MANIFEST_INVALID");
        assertThat(client.putManifest(repository, "t".repeat(128), OCI_MANIFEST, image.manifest()).statusCode()).isEqualTo(201);
    }

    @Test
    void tagParameterThatIsNotATagIsManifestInvalid() {
        HttpResponse<byte[]> response = client.put("/v2/" + repository + "/manifests/" + image.digest() + "?tag=-bad",
                image.manifest(), "Content-Type", OCI_MANIFEST);

        assertError(response, 400, "MANIFEST_INVALID");
        assertThat(RegistryClient.json(response).path("errors").path(0).path("message").asString()).contains("-bad");
    }

    /** The spec lists 14 codes; a client that knows only those must understand every refusal of bad input. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/tags/list?n=x", "/tags/list?n=-1", "/tags/list?n=99999999999999999999"})
    void pageSizeThatIsNotANumberIsUnsupportedWithA400(String endpoint) {
        HttpResponse<byte[]> response = client.get("/v2/" + repository + endpoint);

        assertError(response, 400, "UNSUPPORTED");
        assertThat(RegistryClient.json(response).path("errors").path(0).path("message").asString()).contains("'n'");
        assertError(client.get("/v2/_catalog?n=x"), 400, "UNSUPPORTED");
    }

    /**
     * Percent-encoding that is malformed (bad hex, cut short) or does not decode to UTF-8 (invalid bytes, overlong
     * forms, surrogates) is refused with a 400 whose message names the parameter, and with the code of what the
     * parameter holds; never a 500, never a value with replacement characters read as if the client had sent it.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "GET    | /v2/{repository}/tags/list?n={bad}                                | n            | UNSUPPORTED",
        "GET    | /v2/{repository}/tags/list?last={bad}                             | last         | UNSUPPORTED",
        "GET    | /v2/_catalog?last={bad}                                           | last         | UNSUPPORTED",
        "GET    | /v2/{repository}/referrers/{digest}?artifactType={bad}            | artifactType | UNSUPPORTED",
        "GET    | /v2/{repository}/referrers/{digest}?last={bad}                    | last         | UNSUPPORTED",
        "POST   | /v2/{repository}/blobs/uploads/?digest={bad}                      | digest       | DIGEST_INVALID",
        "POST   | /v2/{repository}/blobs/uploads/?mount={bad}&from={repository}     | mount        | DIGEST_INVALID",
        "POST   | /v2/{repository}/blobs/uploads/?mount={digest}&from={bad}         | from         | NAME_INVALID",
        "PUT    | /v2/{repository}/manifests/{digest}?tag={bad}                     | tag          | MANIFEST_INVALID",
        "PUT    | {upload}?digest={bad}                                             | digest       | DIGEST_INVALID",
        "POST   | /admin/gc?dryRun={bad}                                            | dryRun       | UNSUPPORTED",
        "PUT    | /admin/lifecycle?repositories={bad}                               | repositories | UNSUPPORTED",
        "GET    | /admin/lifecycle/preview?repository={bad}                         | repository   | UNSUPPORTED",
        "POST   | /admin/lifecycle/apply?repository={bad}                           | repository   | UNSUPPORTED"})
    void malformedPercentEncodingInAQueryParameterIsA400NamingTheParameter(String method, String target,
                                                                          String parameter, String code)
            throws IOException {
        // sent as raw bytes: java.net.URI refuses to build most of these
        for (String bad : List.of("%ff%fe", "%e", "%c0%ae", "%ed%a0%80", "%zz", "a%", "%e2%82")) {
            String path = target.replace("{repository}", repository).replace("{digest}", image.digest())
                    .replace("{upload}", target.contains("{upload}")
                            ? URI.create(client.uri(client.startUpload(repository)).toString()).getRawPath() : "")
                    .replace("{bad}", bad);

            JsonNode error = firstErrorOf400(method + " " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                    + "Content-Type: " + OCI_MANIFEST + "\r\nConnection: close\r\n\r\n");

            assertThat(error.path("code").asString()).as(path).isEqualTo(code);
            assertThat(error.path("message").asString()).as(path).contains("'" + parameter + "'");
        }
    }

    /**
     * Jetty drops {@code ;} path parameters when it decodes a path, so {@code a;b} would be read as {@code a}: a
     * proxy that allows or denies by path would see one resource and the registry act on another. Such paths are
     * refused, and nothing is created.
     */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "PUT    | /v2/{repository}/manifests/semi;colon",
        "PUT    | /v2/{repository};x=1/manifests/semi",
        "GET    | /v2/{repository};x=1/tags/list",
        "GET    | /v2/{repository}/tags;x/list",
        "GET    | /v2/;x/",
        "POST   | /v2/{repository}/blobs/uploads/;x",
        "GET    | /v2/{repository}/blobs/{digest};x",
        "POST   | /admin;x/gc",
        "GET    | /token;x"})
    void pathWithPathParametersIsRefusedAndActsOnNothing(String method, String target) {
        String path = target.replace("{repository}", repository).replace("{digest}", sha256(image.config()));

        HttpResponse<byte[]> response = client.send(method, path, BodyPublishers.ofByteArray(image.manifest()),
                "Content-Type", OCI_MANIFEST);

        assertError(response, 400, "NAME_INVALID");
        assertError(client.get("/v2/" + repository + "/manifests/semi"), 404, "MANIFEST_UNKNOWN");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sha256:xyz", "sha256:0123", "sha256:", "sha256:" + "A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A1B2"})
    void malformedDigestIsDigestInvalid(String digest) {
        assertError(client.get("/v2/" + repository + "/blobs/" + digest), 400, "DIGEST_INVALID");
        assertError(client.delete("/v2/" + repository + "/blobs/" + digest), 400, "DIGEST_INVALID");
        assertError(client.post("/v2/" + repository + "/blobs/uploads/?digest=" + digest, new byte[] {1},
                "Content-Type", "application/octet-stream"), 400, "DIGEST_INVALID");
        assertError(client.get("/v2/" + repository + "/manifests/" + digest), 400, "DIGEST_INVALID");
    }

    @Test
    void uploadClosedWithAMalformedDigestIsDigestInvalid() {
        String upload = client.startUpload(repository);

        HttpResponse<byte[]> response = client.put(RegistryClient.withQuery(upload, "digest=not-a-digest"), new byte[] {1, 2, 3},
                "Content-Type", "application/octet-stream");

        assertError(response, 400, "DIGEST_INVALID");
    }

    @Test
    void digestWithAnAlgorithmTheRegistryDoesNotKnowIsRefused() {
        HttpResponse<byte[]> response = client.post("/v2/" + repository + "/blobs/uploads/?digest=md5:" + "0".repeat(32),
                new byte[] {1}, "Content-Type", "application/octet-stream");

        assertError(response, 400, "UNSUPPORTED", "DIGEST_INVALID");
    }

    @Test
    void methodThatAnEndpointDoesNotSupportIsUnsupported() {
        HttpResponse<byte[]> response = client.put("/v2/" + repository + "/blobs/" + sha256(image.config()),
                image.config(), "Content-Type", "application/octet-stream");

        assertError(response, 405, "UNSUPPORTED");
    }

    @Test
    void unknownRepositoryIsNameUnknown() {
        String unknown = uniqueRepository("unknown");

        assertError(client.get("/v2/" + unknown + "/tags/list"), 404, "NAME_UNKNOWN");
        assertError(client.get("/v2/" + unknown + "/manifests/latest"), 404, "NAME_UNKNOWN", "MANIFEST_UNKNOWN");
        assertError(client.get("/v2/" + unknown + "/blobs/" + sha256(image.config())), 404, "NAME_UNKNOWN", "BLOB_UNKNOWN");
    }

    /** One request a careless parser could trip over. */
    record BadRequest(String method, String path, byte[] body, String... headers) {
        @Override
        public String toString() {
            return method + " " + path + " " + String.join(" ", headers);
        }
    }

    static Stream<Arguments> badRequests() {
        String name = BAD_INPUT;
        String blob = "/v2/" + name + "/blobs/" + sha256(BAD_INPUT_BLOB);
        String manifests = "/v2/" + name + "/manifests/";
        byte[] deep = ("[".repeat(100_000) + "]".repeat(100_000)).getBytes(StandardCharsets.UTF_8);
        byte[] deepObject = ("{\"schemaVersion\":2,\"a\":" + "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_001))
                .getBytes(StandardCharsets.UTF_8);
        List<BadRequest> requests = new ArrayList<>(List.of(
                new BadRequest("GET", blob, null, "Range", "bytes=abc"),
                new BadRequest("GET", blob, null, "Range", "bytes=5-2"),
                new BadRequest("GET", blob, null, "Range", "bytes=0-1,4-6"),
                new BadRequest("GET", blob, null, "Range", "items=0-1"),
                new BadRequest("GET", blob, null, "Range", "bytes=99999999999999999999-"),
                new BadRequest("GET", "/v2/" + name + "/tags/list?n=-5", null),
                new BadRequest("GET", "/v2/" + name + "/tags/list?n=99999999999999999999", null),
                new BadRequest("GET", "/v2/" + name + "/tags/list?last=%00", null),
                new BadRequest("GET", "/v2/" + name + "/tags/list?last=%ff%fe", null),
                new BadRequest("GET", "/v2/" + name + "/tags/list?n=%ff", null),
                new BadRequest("GET", "/v2/_catalog?last=%c0%ae", null),
                new BadRequest("GET", "/v2/" + name + "/tags/list?%ed%a0%80=1", null),
                new BadRequest("GET", "/v2/_catalog?n=x", null),
                new BadRequest("GET", "/v2/_catalog?n=-1", null),
                new BadRequest("GET", manifests + "%00", null),
                new BadRequest("GET", "/v2/" + name + "/referrers/sha256:" + "g".repeat(64), null),
                new BadRequest("GET", "/v2/" + name + "/blobs/uploads/not-a-session", null),
                new BadRequest("PUT", manifests + "latest", deep, "Content-Type", OCI_MANIFEST),
                new BadRequest("PUT", manifests + "latest", deepObject, "Content-Type", OCI_MANIFEST),
                new BadRequest("PUT", manifests + "latest", "{\"schemaVersion\":1e400}".getBytes(), "Content-Type", OCI_MANIFEST),
                new BadRequest("PUT", manifests + "latest", new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1}, "Content-Type", OCI_MANIFEST),
                new BadRequest("PUT", manifests + "latest", "{}".getBytes(), "Content-Type", "text/plain"),
                new BadRequest("PUT", manifests + "latest", "{}".getBytes(), "Content-Type", ";;;"),
                new BadRequest("PUT", manifests + "latest", "{\"schemaVersion\":2,\"mediaType\":null,\"config\":null}".getBytes(),
                        "Content-Type", OCI_MANIFEST),
                new BadRequest("POST", "/v2/" + name + "/blobs/uploads/?digest=sha256:%00", new byte[] {1}),
                new BadRequest("POST", "/v2/" + name + "/blobs/uploads/?mount=garbage&from=" + name, new byte[0]),
                new BadRequest("POST", "/v2/" + name + "/blobs/uploads/?mount=&from=", new byte[0]),
                new BadRequest("DELETE", "/v2/" + name + "/manifests/-", null)));
        return requests.stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badInputIsNeverAServerErrorNorAStackTrace(BadRequest request) {
        HttpResponse<byte[]> response = request.body() == null
                ? client.send(request.method(), request.path(), BodyPublishers.noBody(), request.headers())
                : client.send(request.method(), request.path(),
                        BodyPublishers.ofByteArray(request.body()), request.headers());

        assertThat(response.statusCode()).as(body(response)).isLessThan(500);
        String text = new String(response.body(), StandardCharsets.UTF_8);
        assertThat(text).doesNotContain("Exception", "\tat ", "at io.berth", "at java.", "at org.eclipse");
        if (response.statusCode() >= 400) {
            assertErrorBody(response);
        }
    }

    @Test
    void uploadPatchWithAnAbsurdContentRangeIsRefusedWithoutAServerError() {
        String upload = client.startUpload(repository);

        HttpResponse<byte[]> response = client.patch(upload, new byte[] {1, 2, 3},
                "Content-Type", "application/octet-stream", "Content-Range", "99999999999999999999-100000000000000000001");

        assertThat(response.statusCode()).as(body(response)).isIn(400, 416);
        assertErrorBody(response);
    }

    /**
     * Requests that Jetty refuses before the API sees them, sent as raw bytes since no HTTP client sends them: the
     * JSON error body whatever the method, a URI refused as the name it holds, anything else as unsupported, and
     * Jetty's reason in the message that clients print (and in the detail).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "GET /v2/a/%2e%2e/b/tags/list HTTP/1.1\\r\\nHost: x\\r\\n       | NAME_INVALID | Ambiguous URI path segment",
        "PUT /v2/a//b/manifests/latest HTTP/1.1\\r\\nHost: x\\r\\n      | NAME_INVALID | Ambiguous URI empty segment",
        "PATCH /v2/a%2Fb/blobs/uploads/x HTTP/1.1\\r\\nHost: x\\r\\n    | NAME_INVALID | Ambiguous URI path separator",
        "DELETE /v2/a/%2E%2E/manifests/x HTTP/1.1\\r\\nHost: x\\r\\n    | NAME_INVALID | Ambiguous URI path segment",
        "GET /v2/ HTTP/1.1\\r\\nHost: x\\r\\nBad\\001Header: y\\r\\n    | UNSUPPORTED  | Illegal character",
        "GET /v2/ HTTP/1.1\\r\\n                                    | UNSUPPORTED  | No Host",
        "PUT /v2/a/manifests/latest HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 5\\r\\nContent-Length: 6\\r\\n"
                + " | UNSUPPORTED | Multiple Content-Lengths"})
    void requestThatJettyRefusesGetsAnErrorBodyWithJettysReason(String head, String code, String reason)
            throws IOException {
        JsonNode error = firstErrorOf400(head.translateEscapes() + "Connection: close\r\n\r\n");

        assertThat(error.path("code").asString()).isEqualTo(code);
        assertThat(error.path("message").asString()).startsWith("bad request: " + reason);
        assertThat(error.path("detail").asString()).startsWith(reason);
    }

    /** A manifest whose chunked body is malformed (Jetty reads it as ending early) is an invalid manifest. */
    @Test
    void manifestPutWhoseBodyBreaksOffIsManifestInvalid() throws IOException {
        JsonNode error = firstErrorOf400("PUT /v2/" + repository + "/manifests/broken HTTP/1.1\r\nHost: x\r\n"
                + "Content-Type: " + OCI_MANIFEST + "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"sch\r\nZZ\r\n");

        assertThat(error.path("code").asString()).isEqualTo("MANIFEST_INVALID");
        assertThat(error.path("detail").asString()).isEqualTo("request body ended early");
    }

    /** Sends raw bytes, reads the answer to the end, checks it is a JSON 400 and returns its first error. */
    private static JsonNode firstErrorOf400(String request) throws IOException {
        URI base = URI.create(client.baseUrl());
        String response;
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(response).startsWith("HTTP/1.1 400 ").contains("Content-Type: application/json");
        return TestContent.parse(response.substring(response.indexOf("\r\n\r\n") + 4)
                .getBytes(StandardCharsets.UTF_8)).path("errors").path(0);
    }
}
