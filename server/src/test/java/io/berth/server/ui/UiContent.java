package io.berth.server.ui;

import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the UI's tests browse: an image whose annotation carries markup, with a signature and an SBOM attached, and a
 * signature of the SBOM; and a two-platform index.
 */
record UiContent(String repository, String image, String signature, String sbom, String sbomSignature, String index) {
    static final String SIGNATURE_TYPE = "application/vnd.cncf.notary.signature";
    static final String SBOM_TYPE = "application/spdx+json";
    /** The annotation a page must show as text. */
    static final String HOSTILE = "<script>document.title='owned'</script><img src=x onerror=alert(1)>";

    static UiContent push(RegistryClient client, String repository) {
        byte[] config = TestContent.imageConfig("amd64");
        byte[] layer = TestContent.randomBytes(4096);
        client.pushBlob(repository, config);
        client.pushBlob(repository, layer);
        Map<String, Object> manifest = TestContent.ociManifest(TestContent.descriptor(TestContent.OCI_CONFIG, config),
                List.of(TestContent.descriptor(TestContent.OCI_LAYER, layer)));
        manifest.put("annotations", Map.of("org.opencontainers.image.description", HOSTILE));
        byte[] imageBytes = TestContent.toJson(manifest);
        String image = client.pushManifest(repository, "v1", TestContent.OCI_MANIFEST, imageBytes);
        client.pushManifest(repository, "stable", TestContent.OCI_MANIFEST, imageBytes);
        String signature = referrer(client, repository, image, imageBytes, SIGNATURE_TYPE);
        String sbom = referrer(client, repository, image, imageBytes, SBOM_TYPE);
        byte[] sbomBytes = manifestOf(client, repository, sbom);
        String sbomSignature = referrer(client, repository, sbom, sbomBytes, SIGNATURE_TYPE);

        List<Map<String, Object>> children = new ArrayList<>();
        for (String architecture : List.of("amd64", "arm64")) {
            byte[] childConfig = TestContent.imageConfig(architecture);
            byte[] childLayer = TestContent.randomBytes(2048);
            client.pushBlob(repository, childConfig);
            client.pushBlob(repository, childLayer);
            byte[] child = TestContent.toJson(TestContent.ociManifest(
                    TestContent.descriptor(TestContent.OCI_CONFIG, childConfig),
                    List.of(TestContent.descriptor(TestContent.OCI_LAYER, childLayer))));
            client.pushManifest(repository, TestContent.sha256(child), TestContent.OCI_MANIFEST, child);
            Map<String, Object> descriptor = new LinkedHashMap<>(TestContent.descriptor(TestContent.OCI_MANIFEST, child));
            descriptor.put("platform", TestContent.platform("linux", architecture));
            children.add(descriptor);
        }
        String index = client.pushManifest(repository, "multi", TestContent.OCI_INDEX,
                TestContent.toJson(TestContent.index(TestContent.OCI_INDEX, children)));
        return new UiContent(repository, image, signature, sbom, sbomSignature, index);
    }

    private static String referrer(RegistryClient client, String repository, String subject, byte[] subjectManifest,
                                   String artifactType) {
        byte[] payload = TestContent.randomBytes(300);
        client.pushBlob(repository, payload);
        client.pushBlob(repository, TestContent.EMPTY_JSON);
        Map<String, Object> manifest = TestContent.ociManifest(
                TestContent.descriptor(TestContent.OCI_EMPTY, TestContent.EMPTY_JSON),
                List.of(TestContent.descriptor(artifactType, payload)));
        manifest.put("artifactType", artifactType);
        manifest.put("subject", TestContent.descriptor(TestContent.OCI_MANIFEST, subject, subjectManifest.length));
        byte[] bytes = TestContent.toJson(manifest);
        return client.pushManifest(repository, TestContent.sha256(bytes), TestContent.OCI_MANIFEST, bytes);
    }

    private static byte[] manifestOf(RegistryClient client, String repository, String digest) {
        return client.get("/v2/" + repository + "/manifests/" + digest, "Accept", TestContent.OCI_MANIFEST).body();
    }
}
