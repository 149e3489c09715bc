package io.berth.server.conformance;

import static io.berth.server.conformance.ConformanceContent.EMPTY_JSON_DIGEST;
import static io.berth.server.conformance.ConformanceContent.OCI_INDEX;
import static io.berth.server.conformance.ConformanceContent.OCI_MANIFEST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.berth.server.conformance.ConformanceClient.Response;
import io.berth.server.conformance.ConformanceContent.Blob;
import io.berth.server.conformance.ConformanceContent.ChunkedBlob;
import io.berth.server.testing.Backend;
import io.berth.server.testing.S3Store;
import io.berth.server.testing.TestRegistry;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestClassOrder;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * The OCI Distribution Specification conformance suite ({@code conformance/} in opencontainers/distribution-spec,
 * the Go + ginkgo suite), mirrored check by check against a Berth server on loopback, once per metadata backend on
 * the filesystem, and once on PostgreSQL with S3 (s3proxy), the storage that several nodes share.
 *
 * <p>All four workflows run, in the suite's order, against one registry and one namespace, exactly as
 * {@code OCI_TEST_PULL=1 OCI_TEST_PUSH=1 OCI_TEST_CONTENT_DISCOVERY=1 OCI_TEST_CONTENT_MANAGEMENT=1} with the
 * default settings: the workflows share state (tags pushed by one are counted by the next), so order matters.
 * Each test method is one {@code g.Specify} of the suite, named after it, with its status codes, headers, bodies
 * and accepted alternatives; a {@code RunOnlyIf} of the suite is a JUnit assumption here.
 *
 * <p>Suite files read, each at the commit of its stored version:
 * <ul>
 *   <li>{@code setup.go} at {@code b5f09ebe541c65857e8721d51a7a3d0e2f1d8749}: the test content, generated the
 *       same way by {@link ConformanceContent} (random config authors, a gzipped tar layer, random 42-byte blobs,
 *       the referrers set with an unpushed subject, the empty descriptor), and the error code list;</li>
 *   <li>{@code image.go} at {@code 3ec8a56d897bb89d482b41d4aac6ba01519f55f2}: the JSON shapes, including the
 *       unspecified {@code newUnspecifiedField} on every descriptor and {@code data} on config descriptors;</li>
 *   <li>{@code 00_conformance_suite_test.go} at {@code 81bb239e0c8eebab51ad43171bf99fc1a39fea6e}: the order
 *       pull, push, content discovery, content management;</li>
 *   <li>{@code 01_pull_test.go} at {@code 47008ca930b575b3f1cd422414c00d3b0752a7cb}: {@link Pull};</li>
 *   <li>{@code 02_push_test.go} at {@code 11b8e3fba7d2d7329513d0cff53058243c334858}: {@link Push} (streamed,
 *       monolithic and chunked uploads, out-of-order chunk and retried chunk answered 416, the upload
 *       {@code Location} from a status request reused for the next chunk, cross-repository mount, manifests);</li>
 *   <li>{@code 03_discovery_test.go} at {@code b5f09ebe541c65857e8721d51a7a3d0e2f1d8749}: {@link ContentDiscovery}
 *       (tag listing with {@code n} and {@code last}, referrers with {@code OCI-Subject},
 *       {@code artifactType} filtering and {@code OCI-Filters-Applied});</li>
 *   <li>{@code 04_management_test.go} at {@code 3c7a4ac8186fe1307bac6857bfdb48fc190ed57f}:
 *       {@link ContentManagement}.</li>
 * </ul>
 * The suite's newer, separate runner ({@code run.go}, {@code api.go}, ...) is not mirrored here.
 *
 * <p>Where this mirror differs, and why:
 * <ul>
 *   <li>The suite's read-only mode (content named by {@code OCI_TAG_NAME}, {@code OCI_TAG_LIST},
 *       {@code OCI_BLOB_DIGEST}, {@code OCI_MANIFEST_DIGEST}: "Get tag name from environment", "Populate registry
 *       with test tags (no push)") and the {@code OCI_DELETE_MANIFEST_BEFORE_BLOBS=false} teardown order are not
 *       mirrored: this mirror always pushes its own content and tears down manifests before blobs (the default).</li>
 *   <li>The two "automatic content discovery" cross-mount checks run only when the system property
 *       {@value #AUTOMATIC_CROSSMOUNT_PROPERTY} is {@code true} or {@code false}, as the suite runs them only when
 *       {@code OCI_AUTOMATIC_CROSSMOUNT} is set.</li>
 *   <li>The suite accepts the first error code of a 400 answer when it is in its list; through an {@code iota}
 *       slip that list also holds empty strings, which this mirror does not accept.</li>
 *   <li>The suite's {@code last} check re-reads the first page; one extra check, marked as beyond the suite,
 *       reads the page that the {@code last} request returned.</li>
 *   <li>Request bodies go with their {@code Content-Length} (the suite sets it by hand; its Go client drops that
 *       header and may stream the body chunked instead).</li>
 *   <li>The suite builds sixteen configs and manifests and uses five; this mirror builds the five.</li>
 * </ul>
 */
@ParameterizedClass(name = "{0}, {1}")
@MethodSource("setups")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestClassOrder(ClassOrderer.OrderAnnotation.class)
@DisplayName("OCI distribution-spec conformance suite")
class OciConformanceTest {
    static final String AUTOMATIC_CROSSMOUNT_PROPERTY = "berth.conformance.automaticCrossmount";

    private static final String OCTET_STREAM = "application/octet-stream";
    private static final String UPLOADS = "/v2/<name>/blobs/uploads/";
    private static final String TEST_TAG_NAME = "tagtest0";
    private static final String EMPTY_LAYER_TEST_TAG = "emptylayer";
    /** The error codes the suite accepts ({@code errorCodes} in setup.go). */
    private static final List<String> SUITE_ERROR_CODES = List.of("BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID",
            "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN",
            "MANIFEST_UNVERIFIED", "NAME_INVALID", "NAME_UNKNOWN", "SIZE_INVALID", "TAG_INVALID", "UNAUTHORIZED",
            "DENIED", "UNSUPPORTED");

    /** Where the blobs are. */
    enum Storage { FILESYSTEM, S3 }

    static Stream<Arguments> setups() {
        return Stream.of(Arguments.of(Backend.SQLITE, Storage.FILESYSTEM), Arguments.of(Backend.POSTGRES,
                Storage.FILESYSTEM), Arguments.of(Backend.POSTGRES, Storage.S3));
    }

    @RegisterExtension
    static final S3Store s3 = new S3Store();

    @Parameter(0)
    private Backend backend;
    @Parameter(1)
    private Storage storage;
    private TestRegistry registry;
    private ConformanceClient client;
    private ConformanceContent content;
    private String crossmountNamespace;

    /** One fresh registry, namespace and content per backend: {@link TestInstance.Lifecycle#PER_CLASS} shares
     * this instance between invocations, so everything an invocation uses is set here. */
    @BeforeParameterizedClassInvocation
    void startRegistry() throws Exception {
        if (storage == Storage.S3) {
            registry = TestRegistry.start(backend, s3.storageIn("berth/"));
        } else {
            registry = TestRegistry.start(backend);
        }
        client = new ConformanceClient(registry.url(),
                "conformance/repo-" + HexFormat.of().formatHex(ConformanceContent.randomBytes(4)));
        crossmountNamespace = "conformance-" + UUID.randomUUID();
        content = new ConformanceContent();
    }

    @AfterParameterizedClassInvocation
    void stopRegistry() {
        if (registry != null) {
            registry.close();
            registry = null;
        }
    }

    @Nested
    @Order(1)
    @DisplayName("Pull (01_pull_test.go)")
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class Pull {
        private String tag;

        @Test
        @Order(1)
        @DisplayName("Setup: Populate registry with test blob (configs[0])")
        void populateRegistryWithConfig0() {
            assertSuccess(pushBlob(content.configs.get(0)));
        }

        @Test
        @Order(2)
        @DisplayName("Setup: Populate registry with test blob (configs[1])")
        void populateRegistryWithConfig1() {
            assertSuccess(pushBlob(content.configs.get(1)));
        }

        @Test
        @Order(3)
        @DisplayName("Setup: Populate registry with test layer")
        void pullPopulateRegistryWithLayer() {
            assertSuccess(pushBlob(content.layer));
        }

        @Test
        @Order(4)
        @DisplayName("Setup: Populate registry with test manifest (manifests[0] by tag)")
        void populateRegistryWithManifestByTag() {
            tag = TEST_TAG_NAME;
            assertSuccess(putManifest(tag, OCI_MANIFEST, content.manifests.get(0)));
        }

        @Test
        @Order(5)
        @DisplayName("Setup: Populate registry with test manifest (manifests[1] by digest)")
        void populateRegistryWithManifestByDigest() {
            var manifest = content.manifests.get(1);
            assertSuccess(putManifest(manifest.digest(), OCI_MANIFEST, manifest));
        }

        @Test
        @Order(10)
        @DisplayName("Pull blobs: HEAD request to nonexistent blob should result in 404 response")
        void headNonexistentBlob() {
            assertStatus(blob("HEAD", content.dummyDigest), 404);
        }

        @Test
        @Order(11)
        @DisplayName("Pull blobs: HEAD request to existing blob should yield 200")
        void headExistingBlob() {
            var config = content.configs.get(0);
            var response = blob("HEAD", config.digest());
            assertStatus(response, 200);
            assertDockerContentDigestIfPresent(response, config.digest());
        }

        @Test
        @Order(12)
        @DisplayName("Pull blobs: GET nonexistent blob should result in 404 response")
        void getNonexistentBlob() {
            assertStatus(blob("GET", content.dummyDigest), 404);
        }

        @Test
        @Order(13)
        @DisplayName("Pull blobs: GET request to existing blob URL should yield 200")
        void getExistingBlob() {
            assertStatus(blob("GET", content.configs.get(0).digest()), 200);
        }

        @Test
        @Order(20)
        @DisplayName("Pull manifests: HEAD request to nonexistent manifest should return 404")
        void headNonexistentManifest() {
            assertStatus(manifest("HEAD", content.nonexistentManifest), 404);
        }

        @Test
        @Order(21)
        @DisplayName("Pull manifests: HEAD request to manifest[0] path (digest) should yield 200 response")
        void headManifest0ByDigest() {
            var digest = content.manifests.get(0).digest();
            var response = manifestAcceptingOci("HEAD", digest);
            assertStatus(response, 200);
            assertDockerContentDigestIfPresent(response, digest);
        }

        @Test
        @Order(22)
        @DisplayName("Pull manifests: HEAD request to manifest[1] path (digest) should yield 200 response")
        void headManifest1ByDigest() {
            var digest = content.manifests.get(1).digest();
            var response = manifestAcceptingOci("HEAD", digest);
            assertStatus(response, 200);
            assertDockerContentDigestIfPresent(response, digest);
        }

        @Test
        @Order(23)
        @DisplayName("Pull manifests: HEAD request to manifest path (tag) should yield 200 response")
        void headManifestByTag() {
            assertThat(tag).as("tag set in setup").isNotEmpty();
            var response = manifestAcceptingOci("HEAD", tag);
            assertStatus(response, 200);
            assertDockerContentDigestIfPresent(response, content.manifests.get(0).digest());
        }

        @Test
        @Order(24)
        @DisplayName("Pull manifests: GET nonexistent manifest should return 404")
        void pullGetNonexistentManifest() {
            assertStatus(manifest("GET", content.nonexistentManifest), 404);
        }

        @Test
        @Order(25)
        @DisplayName("Pull manifests: GET request to manifest[0] path (digest) should yield 200 response")
        void getManifest0ByDigest() {
            assertStatus(manifestAcceptingOci("GET", content.manifests.get(0).digest()), 200);
        }

        @Test
        @Order(26)
        @DisplayName("Pull manifests: GET request to manifest[1] path (digest) should yield 200 response")
        void getManifest1ByDigest() {
            assertStatus(manifestAcceptingOci("GET", content.manifests.get(1).digest()), 200);
        }

        @Test
        @Order(27)
        @DisplayName("Pull manifests: GET request to manifest path (tag) should yield 200 response")
        void getManifestByTag() {
            assertThat(tag).as("tag set in setup").isNotEmpty();
            assertStatus(manifestAcceptingOci("GET", tag), 200);
        }

        @Test
        @Order(30)
        @DisplayName("Error codes: 400 response body should contain OCI-conforming JSON message")
        void badRequestBodyIsOciErrorJson() {
            var response = client.call("GET", "/v2/<name>/manifests/sha256:totallywrong")
                    .header("Content-Type", OCI_MANIFEST)
                    .body(content.invalidManifestContent)
                    .send();
            assertStatusIn(response, 400, 404);
            if (response.status() == 400) {
                var codes = response.errorCodes();
                assertThat(SUITE_ERROR_CODES).as("first error code of %s", response).contains(codes.getFirst());
            }
        }

        @Test
        @Order(40)
        @DisplayName("Teardown: Delete manifest[0] created in setup")
        void deleteManifest0() {
            assertSuccessOr(manifest("DELETE", content.manifests.get(0).digest()), 405);
        }

        @Test
        @Order(41)
        @DisplayName("Teardown: Delete manifest[1] created in setup")
        void deleteManifest1() {
            assertSuccessOr(manifest("DELETE", content.manifests.get(1).digest()), 405);
        }

        @Test
        @Order(42)
        @DisplayName("Teardown: Delete config[0] blob created in setup")
        void deleteConfig0() {
            assertSuccessOr(blob("DELETE", content.configs.get(0).digest()), 404, 405);
        }

        @Test
        @Order(43)
        @DisplayName("Teardown: Delete config[1] blob created in setup")
        void deleteConfig1() {
            assertSuccessOr(blob("DELETE", content.configs.get(1).digest()), 404, 405);
        }

        @Test
        @Order(44)
        @DisplayName("Teardown: Delete layer blob created in setup")
        void pullDeleteLayer() {
            assertSuccessOr(blob("DELETE", content.layer.digest()), 404, 405);
        }
    }

    @Nested
    @Order(2)
    @DisplayName("Push (02_push_test.go)")
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class Push {
        private Response lastResponse;
        private Response prevResponse;
        private String emptyLayerManifestRef = "";

        @Test
        @Order(1)
        @DisplayName("Blob Upload Streamed: PATCH request with blob in body should yield 202 response")
        void streamedPatchWithBlob() {
            var post = client.call("POST", UPLOADS).send();
            assertThat(post.header("Location")).as("Location of %s", post).isNotEmpty();
            var patch = client.call("PATCH", post.relativeLocation())
                    .header("Content-Type", OCTET_STREAM)
                    .body(content.testBlobA.content())
                    .send();
            assertStatus(patch, 202);
            lastResponse = patch;
        }

        @Test
        @Order(2)
        @DisplayName("Blob Upload Streamed: PUT request to session URL with digest should yield 201 response")
        void streamedPutWithDigest() {
            var put = client.call("PUT", earlier(lastResponse).relativeLocation())
                    .query("digest", content.testBlobA.digest())
                    .header("Content-Type", OCTET_STREAM)
                    .send();
            assertStatus(put, 201);
            assertThat(put.header("Location")).as("Location of %s", put).isNotEmpty();
        }

        @Test
        @Order(10)
        @DisplayName("Blob Upload Monolithic: GET nonexistent blob should result in 404 response")
        void monolithicGetNonexistentBlob() {
            assertStatus(blob("GET", content.dummyDigest), 404);
        }

        @Test
        @Order(11)
        @DisplayName("Blob Upload Monolithic: POST request with digest and blob should yield a 201 or 202")
        void monolithicPostWithDigestAndBlob() {
            var config = content.configs.get(1);
            var post = client.call("POST", UPLOADS)
                    .header("Content-Type", OCTET_STREAM)
                    .query("digest", config.digest())
                    .body(config.content())
                    .send();
            assertThat(post.header("Location")).as("Location of %s", post).isNotEmpty();
            assertStatusIn(post, 201, 202);
            lastResponse = post;
        }

        @Test
        @Order(12)
        @DisplayName("Blob Upload Monolithic: GET request to blob URL from prior request should yield 200 or 404 "
                + "based on response code")
        void monolithicGetBlobFromPriorRequest() {
            var get = blob("GET", content.configs.get(1).digest());
            assertStatus(get, earlier(lastResponse).status() == 202 ? 404 : 200);
        }

        @Test
        @Order(13)
        @DisplayName("Blob Upload Monolithic: POST request should yield a session ID")
        void monolithicPostYieldsSession() {
            var post = client.call("POST", UPLOADS).send();
            assertStatus(post, 202);
            lastResponse = post;
        }

        @Test
        @Order(14)
        @DisplayName("Blob Upload Monolithic: PUT upload of a blob should yield a 201 Response")
        void monolithicPutBlob() {
            var config = content.configs.get(1);
            var put = client.call("PUT", earlier(lastResponse).relativeLocation())
                    .header("Content-Type", OCTET_STREAM)
                    .query("digest", config.digest())
                    .body(config.content())
                    .send();
            assertThat(put.header("Location")).as("Location of %s", put).isNotEmpty();
            assertStatus(put, 201);
        }

        @Test
        @Order(15)
        @DisplayName("Blob Upload Monolithic: GET request to existing blob should yield 200 response")
        void monolithicGetExistingBlob() {
            assertStatus(blob("GET", content.configs.get(1).digest()), 200);
        }

        @Test
        @Order(16)
        @DisplayName("Blob Upload Monolithic: PUT upload of a layer blob should yield a 201 Response")
        void monolithicPutLayer() {
            var post = client.call("POST", UPLOADS).send();
            var put = client.call("PUT", post.relativeLocation())
                    .header("Content-Type", OCTET_STREAM)
                    .query("digest", content.layer.digest())
                    .body(content.layer.content())
                    .send();
            assertThat(put.header("Location")).as("Location of %s", put).isNotEmpty();
            assertStatus(put, 201);
        }

        @Test
        @Order(17)
        @DisplayName("Blob Upload Monolithic: GET request to existing layer should yield 200 response")
        void monolithicGetExistingLayer() {
            assertStatus(blob("GET", content.layer.digest()), 200);
        }

        @Test
        @Order(20)
        @DisplayName("Blob Upload Chunked: Out-of-order blob upload should return 416")
        void chunkedOutOfOrderChunk() {
            var post = client.call("POST", UPLOADS).send();
            assertThat(post.header("Location")).as("Location of %s", post).isNotEmpty();
            // A registry may announce a minimum chunk size; the chunks are rebuilt to honour it.
            var minLength = post.header("OCI-Chunk-Min-Length");
            if (!minLength.isEmpty()) {
                int minSize = Integer.parseInt(minLength);
                if (minSize > content.testBlobB.chunk1().length) {
                    content.testBlobB = ChunkedBlob.random(minSize * 2 - 2);
                }
            }
            var blob = content.testBlobB;
            var patch = client.call("PATCH", post.relativeLocation())
                    .header("Content-Type", OCTET_STREAM)
                    .header("Content-Range", blob.chunk2Range())
                    .body(blob.chunk2())
                    .send();
            assertStatus(patch, 416);
        }

        @Test
        @Order(21)
        @DisplayName("Blob Upload Chunked: PATCH request with first chunk should return 202")
        void chunkedFirstChunk() {
            var blob = content.testBlobB;
            var post = client.call("POST", UPLOADS).send();
            assertThat(post.header("Location")).as("Location of %s", post).isNotEmpty();
            prevResponse = post;
            var patch = client.call("PATCH", post.relativeLocation())
                    .header("Content-Type", OCTET_STREAM)
                    .header("Content-Range", blob.chunk1Range())
                    .body(blob.chunk1())
                    .send();
            assertStatus(patch, 202);
            assertThat(patch.header("Range")).as("Range of %s", patch).isEqualTo(blob.chunk1Range());
            lastResponse = patch;
        }

        @Test
        @Order(22)
        @DisplayName("Blob Upload Chunked: Retry previous blob chunk should return 416")
        void chunkedRetriedChunk() {
            var blob = content.testBlobB;
            var patch = client.call("PATCH", earlier(prevResponse).relativeLocation())
                    .header("Content-Type", OCTET_STREAM)
                    .header("Content-Range", blob.chunk1Range())
                    .body(blob.chunk1())
                    .send();
            assertStatus(patch, 416);
        }

        @Test
        @Order(23)
        @DisplayName("Blob Upload Chunked: Get on stale blob upload should return 204 with a range and location")
        void chunkedStatusOfStaleUploadUrl() {
            var get = client.call("GET", earlier(prevResponse).relativeLocation()).send();
            assertStatus(get, 204);
            assertThat(get.header("Location")).as("Location of %s", get).isNotEmpty();
            assertThat(get.header("Range")).as("Range of %s", get).isEqualTo(content.testBlobB.chunk1Range());
            lastResponse = get;
        }

        @Test
        @Order(24)
        @DisplayName("Blob Upload Chunked: PATCH request with second chunk should return 202")
        void chunkedSecondChunkAtLocationFromStatus() {
            var blob = content.testBlobB;
            var patch = client.call("PATCH", earlier(lastResponse).relativeLocation())
                    .header("Content-Range", blob.chunk2Range())
                    .header("Content-Type", OCTET_STREAM)
                    .body(blob.chunk2())
                    .send();
            assertStatus(patch, 202);
            assertThat(patch.header("Location")).as("Location of %s", patch).isNotEmpty();
            lastResponse = patch;
        }

        @Test
        @Order(25)
        @DisplayName("Blob Upload Chunked: PUT request with digest should return 201")
        void chunkedClosingPutWithDigest() {
            var put = client.call("PUT", earlier(lastResponse).relativeLocation())
                    .header("Content-Type", OCTET_STREAM)
                    .query("digest", content.testBlobB.blob().digest())
                    .send();
            assertStatus(put, 201);
            assertThat(put.header("Location")).as("Location of %s", put).isNotEmpty();
        }

        @Test
        @Order(30)
        @DisplayName("Cross-Repository Blob Mount: Cross-mounting of a blob without the from argument should "
                + "yield session id")
        void mountWithoutFromYieldsSession() {
            var post = client.call("POST", UPLOADS, crossmountNamespace)
                    .query("mount", content.dummyDigest)
                    .send();
            assertStatus(post, 202);
            assertThat(post.absoluteLocation()).as("Location of %s", post).isNotEmpty();
        }

        @Test
        @Order(31)
        @DisplayName("Cross-Repository Blob Mount: POST request to mount another repository's blob should "
                + "return 201 or 202")
        void mountFromAnotherRepository() {
            var post = client.call("POST", UPLOADS, crossmountNamespace)
                    .query("mount", content.testBlobA.digest())
                    .query("from", client.namespace)
                    .send();
            assertStatusIn(post, 201, 202);
            lastResponse = post;
        }

        @Test
        @Order(32)
        @DisplayName("Cross-Repository Blob Mount: GET request to test digest within cross-mount namespace "
                + "should return 200")
        void mountedBlobIsServed() {
            var mount = earlier(lastResponse);
            assumeTrue(mount.status() == 201, "runs only when the mount answered 201");
            assertThat(mount.relativeLocation()).as("Location of %s", mount)
                    .isEqualTo("/v2/%s/blobs/%s".formatted(crossmountNamespace, content.testBlobA.digest()));
            assertStatus(client.call("GET", mount.relativeLocation()).send(), 200);
        }

        @Test
        @Order(33)
        @DisplayName("Cross-Repository Blob Mount: Cross-mounting of nonexistent blob should yield session id")
        void mountFallbackYieldsSession() {
            var mount = earlier(lastResponse);
            assumeTrue(mount.status() == 202, "runs only when the mount answered 202");
            assertThat(mount.relativeLocation()).as("Location of %s", mount)
                    .startsWith("/v2/%s/blobs/uploads/".formatted(crossmountNamespace));
        }

        @Test
        @Order(34)
        @DisplayName("Cross-Repository Blob Mount: Cross-mounting without from, and automatic content discovery "
                + "enabled should return a 201")
        void mountWithoutFromAutomaticDiscoveryEnabled() {
            var automatic = System.getProperty(AUTOMATIC_CROSSMOUNT_PROPERTY, "true"); // Berth mounts without from
            assumeTrue(automatic != null, "runs only when -D" + AUTOMATIC_CROSSMOUNT_PROPERTY + " is set");
            assumeTrue(earlier(lastResponse).status() == 201, "runs only when the mount answered 201");
            assumeTrue(Boolean.parseBoolean(automatic), "runs only when automatic cross-mount is enabled");
            var post = client.call("POST", UPLOADS, crossmountNamespace)
                    .query("mount", content.testBlobA.digest())
                    .send();
            assertStatus(post, 201);
        }

        @Test
        @Order(35)
        @DisplayName("Cross-Repository Blob Mount: Cross-mounting without from, and automatic content discovery "
                + "disabled should return a 202")
        void mountWithoutFromAutomaticDiscoveryDisabled() {
            var automatic = System.getProperty(AUTOMATIC_CROSSMOUNT_PROPERTY, "true"); // Berth mounts without from
            assumeTrue(automatic != null, "runs only when -D" + AUTOMATIC_CROSSMOUNT_PROPERTY + " is set");
            assumeTrue(earlier(lastResponse).status() == 201, "runs only when the mount answered 201");
            assumeTrue(!Boolean.parseBoolean(automatic), "runs only when automatic cross-mount is disabled");
            var post = client.call("POST", UPLOADS, crossmountNamespace)
                    .query("mount", content.testBlobA.digest())
                    .send();
            assertStatus(post, 202);
        }

        @Test
        @Order(40)
        @DisplayName("Manifest Upload: GET nonexistent manifest should return 404")
        void pushGetNonexistentManifest() {
            assertStatus(manifest("GET", content.nonexistentManifest), 404);
        }

        @Test
        @Order(41)
        @DisplayName("Manifest Upload: PUT should accept a manifest upload")
        void putManifestUnderFourTags() {
            for (int i = 0; i < 4; i++) {
                var put = putManifest("test" + i, OCI_MANIFEST, content.manifests.get(1));
                assertThat(put.header("Location")).as("Location of %s", put).isNotEmpty();
                assertStatus(put, 201);
            }
        }

        @Test
        @Order(42)
        @DisplayName("Manifest Upload: Registry should accept a manifest upload with no layers")
        void putManifestWithoutLayers() {
            var put = putManifest(EMPTY_LAYER_TEST_TAG, OCI_MANIFEST, content.emptyLayerManifest);
            if (put.status() == 201) {
                emptyLayerManifestRef = put.header("Location");
                assertThat(emptyLayerManifestRef).as("Location of %s", put).isNotEmpty();
            } else {
                warn("image manifest with no layers is not supported: " + put);
            }
        }

        @Test
        @Order(43)
        @DisplayName("Manifest Upload: GET request to manifest URL (digest) should yield 200 response")
        void getManifestByDigest() {
            assertStatus(manifestAcceptingOci("GET", content.manifests.get(1).digest()), 200);
        }

        @Test
        @Order(50)
        @DisplayName("Teardown: Delete manifest created in tests")
        void deleteManifests() {
            assertSuccessOr(manifest("DELETE", content.manifests.get(1).digest()), 405);
            if (!emptyLayerManifestRef.isEmpty()) {
                assertSuccessOr(manifest("DELETE", content.emptyLayerManifest.digest()), 405);
            }
        }

        @Test
        @Order(51)
        @DisplayName("Teardown: Delete config blob created in tests")
        void pushDeleteConfig() {
            assertSuccessOr(blob("DELETE", content.configs.get(1).digest()), 404, 405);
        }

        @Test
        @Order(52)
        @DisplayName("Teardown: Delete layer blob created in setup")
        void pushDeleteLayer() {
            assertSuccessOr(blob("DELETE", content.layer.digest()), 404, 405);
        }
    }

    @Nested
    @Order(3)
    @DisplayName("Content Discovery (03_discovery_test.go)")
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class ContentDiscovery {
        private int numTags = 4;
        private List<String> tagList = new ArrayList<>();

        @Test
        @Order(1)
        @DisplayName("Setup: Populate registry with test blob (configs[2])")
        void discoveryPopulateRegistryWithConfig() {
            assertSuccess(pushBlob(content.configs.get(2)));
        }

        @Test
        @Order(2)
        @DisplayName("Setup: Populate registry with test layer")
        void discoveryPopulateRegistryWithLayer() {
            assertSuccess(pushBlob(content.layer));
        }

        @Test
        @Order(3)
        @DisplayName("Setup: Populate registry with test tags")
        void populateRegistryWithTags() {
            for (int i = 0; i < numTags; i++) {
                var tag = "test" + i;
                tagList.add(tag);
                assertSuccess(putManifest(tag, OCI_MANIFEST, content.manifests.get(2)));
            }
            tagList = tags(client.call("GET", "/v2/<name>/tags/list").send());
        }

        @Test
        @Order(4)
        @DisplayName("Setup: References setup")
        void referencesSetup() {
            assertThat(content.emptyJson.digest()).isEqualTo(EMPTY_JSON_DIGEST);
            assertSuccess(pushBlob(content.emptyJson));
            // A referrer's blob before its subject is pushed.
            assertSuccess(pushBlob(content.refBlobA));
            var subject = content.manifests.get(4).digest();
            assertSuccessWithSubject(putManifest(content.refsManifestAConfigArtifact.digest(), OCI_MANIFEST,
                    content.refsManifestAConfigArtifact), subject);
            assertSuccessWithSubject(putManifest(content.refsManifestALayerArtifact.digest(), OCI_MANIFEST,
                    content.refsManifestALayerArtifact), subject);
            assertSuccessWithSubject(putManifest(content.refsIndexArtifact.digest(), OCI_INDEX,
                    content.refsIndexArtifact), subject);
            // The subject itself.
            assertSuccess(pushBlob(content.configs.get(4)));
            assertSuccess(pushBlob(content.layer));
            assertSuccess(putManifest(TEST_TAG_NAME, OCI_MANIFEST, content.manifests.get(4)));
            // A referrer's blob after its subject is pushed.
            assertSuccess(pushBlob(content.refBlobB));
            assertSuccessWithSubject(putManifest(content.refsManifestBConfigArtifact.digest(), OCI_MANIFEST,
                    content.refsManifestBConfigArtifact), subject);
            assertSuccessWithSubject(putManifest(content.refsManifestBLayerArtifact.digest(), OCI_MANIFEST,
                    content.refsManifestBLayerArtifact), subject);
            // A referrer whose subject does not exist.
            assertSuccessWithSubject(putManifest(content.refsManifestCLayerArtifact.digest(), OCI_MANIFEST,
                    content.refsManifestCLayerArtifact), content.manifests.get(3).digest());
        }

        @Test
        @Order(10)
        @DisplayName("Listing tags: GET request to list tags should yield 200 response")
        void listTags() {
            var response = client.call("GET", "/v2/<name>/tags/list").send();
            assertStatus(response, 200);
            tagList = tags(response);
            numTags = tagList.size();
        }

        @Test
        @Order(11)
        @DisplayName("Listing tags: GET number of tags should be limitable by `n` query parameter")
        void listTagsLimitedByN() {
            int numResults = numTags / 2;
            var response = client.call("GET", "/v2/<name>/tags/list").query("n", Integer.toString(numResults)).send();
            assertStatus(response, 200);
            tagList = tags(response);
            assertThat(tagList).as("tags of %s", response).hasSize(numResults);
        }

        @Test
        @Order(12)
        @DisplayName("Listing tags: GET start of tag is set by `last` query parameter")
        void listTagsStartingAfterLast() {
            int numResults = numTags / 2;
            var first = client.call("GET", "/v2/<name>/tags/list").query("n", Integer.toString(numResults)).send();
            tagList = tags(first);
            assertThat(tagList).as("tags of %s", first).hasSizeGreaterThanOrEqualTo(numResults);
            var response = client.call("GET", "/v2/<name>/tags/list")
                    .query("n", Integer.toString(numResults))
                    .query("last", tagList.get(numResults - 1))
                    .send();
            assertStatus(response, 200);
            // As in the suite, these two read the first page again, not the one just fetched (see the next check).
            assertThat(tagList).hasSizeLessThanOrEqualTo(numResults);
            assertThat(tagList).contains(tagList.get(numResults - 1));
        }

        @Test
        @Order(13)
        @DisplayName("Listing tags (beyond the suite, which re-reads the first page): the `last` page holds at most "
                + "`n` tags, all sorting after `last`")
        void listTagsPageAfterLastHoldsOnlyLaterTags() {
            int numResults = numTags / 2;
            var first = tags(client.call("GET", "/v2/<name>/tags/list").query("n", Integer.toString(numResults)).send());
            assertThat(first).hasSizeGreaterThanOrEqualTo(numResults);
            var last = first.get(numResults - 1);
            var response = client.call("GET", "/v2/<name>/tags/list")
                    .query("n", Integer.toString(numResults))
                    .query("last", last)
                    .send();
            assertStatus(response, 200);
            var page = tags(response);
            assertThat(page).as("tags of %s", response).isNotEmpty().hasSizeLessThanOrEqualTo(numResults)
                    .allSatisfy(tag -> assertThat(tag).isGreaterThan(last));
        }

        @Test
        @Order(20)
        @DisplayName("Listing references: GET request to nonexistent blob should result in empty 200 response")
        void referrersOfUnknownDigest() {
            var response = referrers(content.dummyDigest).send();
            assertStatus(response, 200);
            assertThat(response.header("Content-Type")).as("Content-Type of %s", response).isEqualTo(OCI_INDEX);
            assertThat(referrerEntries(response)).as("manifests of %s", response).isEmpty();
        }

        @Test
        @Order(21)
        @DisplayName("Listing references: GET request to existing blob should yield 200")
        void referrersOfSubject() {
            var response = referrers(content.manifests.get(4).digest()).send();
            assertStatus(response, 200);
            assertThat(response.header("Content-Type")).as("Content-Type of %s", response).isEqualTo(OCI_INDEX);
            var entries = referrerEntries(response);
            assertThat(entries).as("manifests of %s", response).hasSize(5);
            assertThat(entries.get(0).path("digest").asString())
                    .isNotEqualTo(entries.get(1).path("digest").asString());
            assertAnnotationsCarriedOver(entries, response);
        }

        @Test
        @Order(22)
        @DisplayName("Listing references: GET request to existing blob with filter should yield 200")
        void referrersFilteredByArtifactType() {
            var response = referrers(content.manifests.get(4).digest())
                    .query("artifactType", content.artifactTypeA)
                    .send();
            assertStatus(response, 200);
            assertThat(response.header("Content-Type")).as("Content-Type of %s", response).isEqualTo(OCI_INDEX);
            var entries = referrerEntries(response);
            if (!response.header("OCI-Filters-Applied").isEmpty()) {
                assertThat(entries).as("manifests of %s", response).hasSize(2);
                assertThat(response.header("OCI-Filters-Applied")).isEqualTo("artifactType");
            } else {
                assertThat(entries).as("manifests of %s", response).hasSize(5);
                warn("filtering by artifact-type is not implemented");
            }
            assertAnnotationsCarriedOver(entries, response);
        }

        @Test
        @Order(23)
        @DisplayName("Listing references: GET request to missing manifest should yield 200")
        void referrersOfMissingSubject() {
            var response = referrers(content.manifests.get(3).digest()).send();
            assertStatus(response, 200);
            assertThat(response.header("Content-Type")).as("Content-Type of %s", response).isEqualTo(OCI_INDEX);
            var entries = referrerEntries(response);
            assertThat(entries).as("manifests of %s", response).hasSize(1);
            assertThat(entries.getFirst().path("digest").asString())
                    .isEqualTo(content.refsManifestCLayerArtifact.digest());
        }

        @Test
        @Order(30)
        @DisplayName("Teardown: Delete created manifest & associated tags")
        void deleteManifestsAndTags() {
            for (var reference : List.of(content.refsIndexArtifact.digest(), content.manifests.get(2).digest(),
                    content.manifests.get(4).digest(), content.refsManifestAConfigArtifact.digest(),
                    content.refsManifestALayerArtifact.digest(), TEST_TAG_NAME,
                    content.refsManifestBConfigArtifact.digest(), content.refsManifestBLayerArtifact.digest(),
                    content.refsManifestCLayerArtifact.digest())) {
                assertSuccessOr(manifest("DELETE", reference), 405, 404);
            }
        }

        @Test
        @Order(31)
        @DisplayName("Teardown: Delete config blob created in tests")
        void discoveryDeleteConfig() {
            assertSuccessOr(blob("DELETE", content.configs.get(2).digest()), 405);
        }

        @Test
        @Order(32)
        @DisplayName("Teardown: Delete layer blob created in setup")
        void discoveryDeleteLayer() {
            assertSuccessOr(blob("DELETE", content.layer.digest()), 405);
        }

        @Test
        @Order(33)
        @DisplayName("Teardown: References teardown")
        void referencesTeardown() {
            for (var reference : List.of(content.refsIndexArtifact.digest(),
                    content.refsManifestAConfigArtifact.digest(), content.refsManifestALayerArtifact.digest(),
                    content.manifests.get(4).digest(), content.refsManifestBConfigArtifact.digest(),
                    content.refsManifestBLayerArtifact.digest())) {
                assertSuccessOr(manifest("DELETE", reference), 405, 404);
            }
            for (var digest : List.of(content.configs.get(4).digest(), content.refBlobA.digest(),
                    content.refBlobB.digest(), content.emptyJson.digest())) {
                assertSuccessOr(blob("DELETE", digest), 405, 404);
            }
        }

        private ConformanceClient.Call referrers(String digest) {
            return client.call("GET", "/v2/<name>/referrers/" + digest);
        }

        private List<JsonNode> referrerEntries(Response response) {
            var manifests = response.json().path("manifests");
            var entries = new ArrayList<JsonNode>();
            manifests.forEach(entries::add);
            return entries;
        }

        /** Every referrer descriptor carries its manifest's one annotation, with the pushed value. */
        private void assertAnnotationsCarriedOver(List<JsonNode> entries, Response response) {
            for (var entry : entries) {
                var digest = entry.path("digest").asString();
                var annotations = entry.path("annotations");
                assertThat(annotations.size()).as("annotations of %s in %s", digest, response).isEqualTo(1);
                assertThat(annotations.path(content.annotationKey).asString(""))
                        .as("annotation %s of %s in %s", content.annotationKey, digest, response)
                        .isEqualTo(content.annotationValues.getOrDefault(digest, ""));
            }
        }
    }

    @Nested
    @Order(4)
    @DisplayName("Content Management (04_management_test.go)")
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class ContentManagement {
        private String tagToDelete = "";
        private int numTags;
        private boolean blobDeleteAllowed = true;

        @Test
        @Order(1)
        @DisplayName("Setup: Populate registry with test config blob")
        void managementPopulateRegistryWithConfig() {
            assertSuccess(pushBlob(content.configs.get(3)));
        }

        @Test
        @Order(2)
        @DisplayName("Setup: Populate registry with test layer")
        void managementPopulateRegistryWithLayer() {
            assertSuccess(pushBlob(content.layer));
        }

        @Test
        @Order(3)
        @DisplayName("Setup: Populate registry with test tag")
        void populateRegistryWithTag() {
            tagToDelete = TEST_TAG_NAME;
            assertSuccess(putManifest(tagToDelete, OCI_MANIFEST, content.manifests.get(3)));
        }

        @Test
        @Order(4)
        @DisplayName("Setup: Check how many tags there are before anything gets deleted")
        void countTags() {
            var response = client.call("GET", "/v2/<name>/tags/list").send();
            assertStatus(response, 200);
            numTags = response.json().path("tags").size();
        }

        @Test
        @Order(10)
        @DisplayName("Manifest delete: DELETE request to manifest tag should return 202, unless tag deletion is "
                + "disallowed (400/405)")
        void deleteTag() {
            var response = manifest("DELETE", tagToDelete);
            assertStatusIn(response, 400, 202, 405);
            if (response.status() == 400) {
                assertThat(response.errorCodes().getFirst()).as("first error code of %s", response)
                        .isEqualTo("UNSUPPORTED");
            }
        }

        @Test
        @Order(11)
        @DisplayName("Manifest delete: DELETE request to manifest (digest) should yield 202 response unless already "
                + "deleted")
        void deleteManifestByDigest() {
            assertStatusIn(manifest("DELETE", content.manifests.get(3).digest()), 202, 404);
        }

        @Test
        @Order(12)
        @DisplayName("Manifest delete: GET request to deleted manifest URL should yield 404 response, unless delete "
                + "is disallowed")
        void getDeletedManifest() {
            assertStatusIn(manifest("GET", content.manifests.get(3).digest()), 404, 200);
        }

        @Test
        @Order(13)
        @DisplayName("Manifest delete: GET request to tags list should reflect manifest deletion")
        void tagListReflectsDeletion() {
            var response = client.call("GET", "/v2/<name>/tags/list").send();
            assertStatus(response, 200);
            assertThat(response.json().path("tags").size()).as("tags of %s", response).isLessThan(numTags);
        }

        @Test
        @Order(20)
        @DisplayName("Blob delete: DELETE request to blob URL should yield 202 response")
        void deleteBlobs() {
            assertStatusIn(blob("DELETE", content.configs.get(3).digest()), 202, 404, 405);
            var layer = blob("DELETE", content.layer.digest());
            assertStatusIn(layer, 202, 404, 405);
            if (layer.status() == 405) {
                blobDeleteAllowed = false;
            }
        }

        @Test
        @Order(21)
        @DisplayName("Blob delete: GET request to deleted blob URL should yield 404 response")
        void getDeletedBlob() {
            assumeTrue(blobDeleteAllowed, "runs only when the registry allows blob deletion");
            assertStatus(blob("GET", content.configs.get(3).digest()), 404);
        }
    }

    // The suite's request shapes.

    /** POST a new upload, then PUT the whole blob to its {@code Location}: the suite's setup upload. */
    private Response pushBlob(Blob blob) {
        var post = client.call("POST", UPLOADS).send();
        return client.call("PUT", post.relativeLocation())
                .query("digest", blob.digest())
                .header("Content-Type", OCTET_STREAM)
                .body(blob.content())
                .send();
    }

    private Response putManifest(String reference, String mediaType, Blob manifest) {
        return client.call("PUT", "/v2/<name>/manifests/" + reference)
                .header("Content-Type", mediaType)
                .body(manifest.content())
                .send();
    }

    private Response blob(String method, String digest) {
        return client.call(method, "/v2/<name>/blobs/" + digest).send();
    }

    private Response manifest(String method, String reference) {
        return client.call(method, "/v2/<name>/manifests/" + reference).send();
    }

    private Response manifestAcceptingOci(String method, String reference) {
        return client.call(method, "/v2/<name>/manifests/" + reference).header("Accept", OCI_MANIFEST).send();
    }

    /** The suite's {@code getTagList}: the {@code tags} of a tag list, or none when the body is not one. */
    private static List<String> tags(Response response) {
        var tags = new ArrayList<String>();
        try {
            response.json().path("tags").forEach(tag -> tags.add(tag.asString()));
        } catch (AssertionError notJson) {
            return List.of();
        }
        return tags;
    }

    // The suite's expectations.

    /** A response kept from an earlier step, which must have got that far. */
    private static Response earlier(Response response) {
        assertThat(response).as("the response of the earlier step this check continues from").isNotNull();
        return response;
    }

    private static void assertStatus(Response response, int expected) {
        assertThat(response.status()).as("status of %s", response).isEqualTo(expected);
    }

    private static void assertStatusIn(Response response, Integer... accepted) {
        assertThat(response.status()).as("status of %s", response).isIn((Object[]) accepted);
    }

    private static void assertSuccess(Response response) {
        assertThat(response.status()).as("status of %s", response).isBetween(200, 299);
    }

    /** A 2xx, or one of the alternatives the suite accepts for this step. */
    private static void assertSuccessOr(Response response, int... alternatives) {
        var status = response.status();
        if (status >= 200 && status < 300) {
            return;
        }
        assertThat(alternatives).as("status of %s (2xx or one of these)", response).contains(status);
    }

    private static void assertSuccessWithSubject(Response response, String subjectDigest) {
        assertSuccess(response);
        assertThat(response.header("OCI-Subject")).as("OCI-Subject of %s", response).isEqualTo(subjectDigest);
    }

    /** The suite checks {@code Docker-Content-Digest} only when the registry sends it. */
    private static void assertDockerContentDigestIfPresent(Response response, String digest) {
        var header = response.header("Docker-Content-Digest");
        if (!header.isEmpty()) {
            assertThat(header).as("Docker-Content-Digest of %s", response).isEqualTo(digest);
        }
    }

    /** The suite's {@code Warn}: a registry may lack an optional feature; the check still passes. */
    private void warn(String message) {
        System.err.println("WARNING [" + backend + ", " + storage + "]: " + message);
    }
}
