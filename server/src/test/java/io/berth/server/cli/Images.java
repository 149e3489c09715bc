package io.berth.server.cli;

import io.berth.server.clients.OciLayout;
import io.berth.server.clients.Tarballs;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** OCI layouts of fresh random content, for the commands to push. */
final class Images {
    private Images() {
    }

    /** A layout holding one single-platform image named {@code name}; returns the layout. */
    static OciLayout single(Path dir, OciLayout.Flavour flavour, String name) {
        OciLayout layout = OciLayout.create(dir);
        OciLayout.Descriptor image = layout.putImage(flavour, "linux", "amd64",
                Tarballs.randomFiles("app", 4096, 70_000));
        layout.tag(Map.of(name, image));
        return layout;
    }

    /** A layout holding an OCI index of linux/amd64 and linux/arm64 images named {@code name}. */
    static OciLayout twoPlatforms(Path dir, String name) {
        OciLayout layout = OciLayout.create(dir);
        OciLayout.Descriptor amd64 = layout.putImage(OciLayout.Flavour.OCI, "linux", "amd64",
                Tarballs.randomFiles("amd64", 2048));
        OciLayout.Descriptor arm64 = layout.putImage(OciLayout.Flavour.OCI, "linux", "arm64",
                Tarballs.randomFiles("arm64", 3072));
        OciLayout.Descriptor index = layout.putIndex(OciLayout.Flavour.OCI, List.of(
                new OciLayout.PlatformManifest("linux", "amd64", amd64),
                new OciLayout.PlatformManifest("linux", "arm64", arm64)));
        layout.tag(Map.of(name, index));
        return layout;
    }
}
