package io.berth.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ManifestTest {
    private static final String CONFIG = "sha256:" + "a".repeat(64);
    private static final String LAYER = "sha256:" + "b".repeat(64);
    private static final String SUBJECT = "sha256:" + "c".repeat(64);

    private static byte[] json(String text) {
        return text.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    }

    private static String image(String extra) {
        return "{'schemaVersion':2,'mediaType':'" + MediaTypes.OCI_MANIFEST + "',"
                + "'config':{'mediaType':'application/vnd.oci.image.config.v1+json','digest':'" + CONFIG + "','size':2},"
                + "'layers':[{'mediaType':'application/vnd.oci.image.layer.v1.tar+gzip','digest':'" + LAYER + "','size':10}]"
                + extra + "}";
    }

    @Test
    void aManifestThatIsNotUtf8JsonTextIsInvalid() {
        String text = new String(json(image(",'annotations':{'a':'MARK'}")), StandardCharsets.UTF_8);
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int mark = text.indexOf("MARK");
        byte[] overlong = utf8.clone();
        overlong[mark] = (byte) 0xc0;
        overlong[mark + 1] = (byte) 0xa2; // an overlong '"'
        byte[] surrogate = utf8.clone();
        surrogate[mark] = (byte) 0xed;
        surrogate[mark + 1] = (byte) 0xa0;
        surrogate[mark + 2] = (byte) 0x80;
        byte[] utf8WithMark = ("\uFEFF" + text).getBytes(StandardCharsets.UTF_8);

        for (byte[] bytes : new byte[][] {text.getBytes(StandardCharsets.UTF_16), text.getBytes(StandardCharsets.UTF_16LE),
                text.getBytes(java.nio.charset.Charset.forName("UTF-32")), overlong, surrogate, utf8WithMark}) {
            assertThatThrownBy(() -> Manifest.parse(bytes, MediaTypes.OCI_MANIFEST))
                    .isInstanceOf(InvalidManifestException.class).hasMessageContaining("UTF-8");
        }
        assertThat(Manifest.parse(utf8, MediaTypes.OCI_MANIFEST).annotations()).containsEntry("a", "MARK");
    }

    @Test
    void anImageManifestYieldsItsConfigLayersAndConfigTypeAsArtifactType() {
        Manifest manifest = Manifest.parse(json(image("")), MediaTypes.OCI_MANIFEST);
        assertThat(manifest.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(manifest.config().digest()).hasToString(CONFIG);
        assertThat(manifest.layers()).extracting(d -> d.digest().toString()).containsExactly(LAYER);
        assertThat(manifest.artifactType()).isEqualTo("application/vnd.oci.image.config.v1+json");
        assertThat(manifest.subject()).isNull();
    }

    @Test
    void artifactTypeFieldWinsAndSubjectAndAnnotationsAreRead() {
        Manifest manifest = Manifest.parse(json(image(",'artifactType':'application/vnd.example.sig',"
                + "'subject':{'mediaType':'" + MediaTypes.OCI_MANIFEST + "','digest':'" + SUBJECT + "','size':5},"
                + "'annotations':{'org.example':'yes'}")), null);
        assertThat(manifest.artifactType()).isEqualTo("application/vnd.example.sig");
        assertThat(manifest.subject().digest()).hasToString(SUBJECT);
        assertThat(manifest.annotations()).containsEntry("org.example", "yes");
    }

    @Test
    void anIndexListsItsChildren() {
        Manifest manifest = Manifest.parse(json("{'schemaVersion':2,'mediaType':'" + MediaTypes.OCI_INDEX + "',"
                + "'manifests':[{'mediaType':'" + MediaTypes.OCI_MANIFEST + "','digest':'" + CONFIG + "','size':3}]}"),
                MediaTypes.OCI_INDEX);
        assertThat(manifest.isIndex()).isTrue();
        assertThat(manifest.children()).extracting(d -> d.digest().toString()).containsExactly(CONFIG);
    }

    @Test
    void mediaTypeAndContentTypeMustAgree() {
        assertThatThrownBy(() -> Manifest.parse(json(image("")), MediaTypes.OCI_INDEX))
                .isInstanceOf(InvalidManifestException.class).hasMessageContaining("does not match");
    }

    @Test
    void withoutMediaTypeTheContentTypeDecides() {
        String body = image("").replace("'mediaType':'" + MediaTypes.OCI_MANIFEST + "',", "");
        assertThat(Manifest.parse(json(body), MediaTypes.OCI_MANIFEST).mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
    }

    @Test
    void invalidManifestsAreRejectedWithAReason() {
        assertThatThrownBy(() -> Manifest.parse(json("not json"), null)).hasMessageContaining("JSON");
        assertThatThrownBy(() -> Manifest.parse(json("[]"), null)).hasMessageContaining("object");
        assertThatThrownBy(() -> Manifest.parse(json(image("").replace("'schemaVersion':2", "'schemaVersion':3")), null))
                .hasMessageContaining("schemaVersion");
        assertThatThrownBy(() -> Manifest.parse(json(image("").replace(LAYER, "sha256:zz")), null))
                .hasMessageContaining("layers[0].digest");
        assertThatThrownBy(() -> Manifest.parse(json(image("").replace("'size':10", "'size':-1")), null))
                .hasMessageContaining("size");
        assertThatThrownBy(() -> Manifest.parse(json("{'schemaVersion':2,'mediaType':'" + MediaTypes.OCI_MANIFEST
                + "','layers':[]}"), null)).hasMessageContaining("config is required");
        assertThatThrownBy(() -> Manifest.parse(json("{'schemaVersion':1e400}"), null))
                .isInstanceOf(InvalidManifestException.class);
        assertThatThrownBy(() -> Manifest.parse(json(image("").replace("'size':10", "'size':1e400")), null))
                .isInstanceOf(InvalidManifestException.class);
        assertThatThrownBy(() -> Manifest.parse(json("{'schemaVersion':1,'name':'x','tag':'y','fsLayers':[]}"),
                MediaTypes.DOCKER_SCHEMA1_SIGNED)).hasMessageContaining("schema 1");
    }

    @Test
    void dockerManifestsNeedTheirMediaTypeField() {
        String docker = image("").replace(MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST);
        assertThat(Manifest.parse(json(docker), MediaTypes.DOCKER_MANIFEST).mediaType())
                .isEqualTo(MediaTypes.DOCKER_MANIFEST);
        String withoutField = docker.replace("'mediaType':'" + MediaTypes.DOCKER_MANIFEST + "',", "");
        assertThatThrownBy(() -> Manifest.parse(json(withoutField), MediaTypes.DOCKER_MANIFEST))
                .isInstanceOf(InvalidManifestException.class);
    }
}
