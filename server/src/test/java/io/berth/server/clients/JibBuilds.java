package io.berth.server.clients;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import java.nio.file.Path;
import java.util.Map;

/** How the tests have jib-core build images: layers from generated files, pushed to a plain-HTTP registry. */
final class JibBuilds {
    private JibBuilds() {
    }

    /** One layer holding the files, written under {@code dir} and placed at "/" + their relative path. */
    static FileEntriesLayer layerOf(Map<String, byte[]> files, Path dir) {
        Tarballs.writeFiles(dir, files);
        FileEntriesLayer.Builder layer = FileEntriesLayer.builder().setName("files");
        files.keySet().forEach(name -> layer.addEntry(dir.resolve(name), AbsoluteUnixPath.get("/" + name)));
        return layer.build();
    }

    /** Pushes to {@code target} over plain HTTP, with Jib's layer caches under {@code tmp}, not the home directory. */
    static Containerizer containerizer(RegistryImage target, Path tmp) {
        return Containerizer.to(target)
                .setAllowInsecureRegistries(true)
                .setBaseImageLayersCache(tmp.resolve("cache/base"))
                .setApplicationLayersCache(tmp.resolve("cache/application"))
                .setToolName("berth-client-tests");
    }
}
