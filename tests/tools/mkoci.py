#!/usr/bin/env python3
"""mkoci.py: OCI image layouts for the bake tests, written and read with
Python's own tarfile/json (an implementation independent of cainit's).

  mkoci.py make LAYOUT TAG [--entrypoint JSON] [--cmd JSON] [--env JSON] [--arch A]
                [--layer DIR | --gzip-layer DIR | --raw-layer FILE]...
      add an image tagged TAG (layers in order; a DIR is tarred as it is,
      .wh. files included; --raw-layer stores FILE's bytes as a layer)
  mkoci.py index LAYOUT NEWTAG TAG=ARCH...
      tag an image index listing those images as linux/ARCH
  mkoci.py unpack LAYOUT TAG DEST
      apply the image's layers to DEST with whiteouts, as a runtime does
  mkoci.py show LAYOUT TAG
      print {"manifest_digest", "config", "layers": [[mediaType, [names]]]}
  (TAG@ARCH, for unpack and show: the linux/ARCH image of the index TAG names)
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile


def put_blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(f"{layout}/blobs/sha256", exist_ok=True)
    with open(f"{layout}/blobs/sha256/{d}", "wb") as f:
        f.write(data)
    return "sha256:" + d


def tar_dir(path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for top, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(dirs + files):
                full = os.path.join(top, name)
                t.add(full, arcname=os.path.relpath(full, path), recursive=False)
    return buf.getvalue()


def make(layout, tag, args):
    entrypoint, cmd, env, arch, layers = None, None, None, "amd64", []
    i = 0
    while i < len(args):
        opt, val = args[i], args[i + 1]
        i += 2
        if opt == "--entrypoint":
            entrypoint = json.loads(val)
        elif opt == "--cmd":
            cmd = json.loads(val)
        elif opt == "--env":
            env = json.loads(val)
        elif opt == "--arch":
            arch = val
        elif opt == "--layer":
            raw = tar_dir(val)
            layers.append((raw, raw, "application/vnd.oci.image.layer.v1.tar"))
        elif opt == "--gzip-layer":
            raw = tar_dir(val)
            layers.append((gzip.compress(raw, mtime=0), raw, "application/vnd.oci.image.layer.v1.tar+gzip"))
        elif opt == "--raw-layer":
            data = open(val, "rb").read()
            layers.append((data, data, "application/vnd.oci.image.layer.v1.tar"))
        else:
            sys.exit(f"mkoci: unknown option {opt}")
    os.makedirs(layout, exist_ok=True)
    with open(f"{layout}/oci-layout", "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    descs = []
    for blob, raw, mt in layers:
        descs.append({"mediaType": mt, "digest": put_blob(layout, blob), "size": len(blob),
                      "diff_id": "sha256:" + hashlib.sha256(raw).hexdigest()})
    config = {"architecture": arch, "os": "linux",
              "config": {k: v for k, v in (("Entrypoint", entrypoint), ("Cmd", cmd), ("Env", env)) if v is not None},
              "rootfs": {"type": "layers", "diff_ids": [d.pop("diff_id") for d in descs]},
              "history": [{"created_by": "mkoci.py"} for _ in descs]}
    cdata = json.dumps(config).encode()
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": put_blob(layout, cdata), "size": len(cdata)},
                "layers": descs}
    mdata = json.dumps(manifest).encode()
    try:
        index = json.load(open(f"{layout}/index.json"))
    except FileNotFoundError:
        index = {"schemaVersion": 2, "manifests": []}
    index["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "digest": put_blob(layout, mdata), "size": len(mdata),
                               "annotations": {"org.opencontainers.image.ref.name": tag}})
    with open(f"{layout}/index.json", "w") as f:
        json.dump(index, f)


def find(layout, tag):
    """TAG's manifest; TAG@ARCH: the linux/ARCH manifest of the index TAG names."""
    tag, _, arch = tag.partition("@")
    for m in json.load(open(f"{layout}/index.json"))["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            doc = json.loads(blob(layout, m["digest"]))
            if not arch:
                return m["digest"], doc
            for e in doc["manifests"]:
                if e.get("platform", {}).get("architecture") == arch:
                    return e["digest"], json.loads(blob(layout, e["digest"]))
            sys.exit(f"mkoci: no linux/{arch} in {tag}")
    sys.exit(f"mkoci: no tag {tag}")


def blob(layout, digest):
    data = open(f"{layout}/blobs/sha256/{digest[7:]}", "rb").read()
    assert hashlib.sha256(data).hexdigest() == digest[7:], f"blob {digest} is corrupt"
    return data


def layer_tar(layout, desc):
    data = blob(layout, desc["digest"])
    return tarfile.open(fileobj=io.BytesIO(data), mode="r:*")


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def in_root(dest, rel):
    """rel's parent resolved inside dest the way a runtime does (symlinks
    followed, absolute ones from dest, ".." stopping at dest), created as
    needed; returns the host path of rel's final component."""
    parts, done, hops = [p for p in rel.split("/") if p not in ("", ".")], [], 0
    while len(parts) > 1:
        c = parts.pop(0)
        if c == "..":
            done = done[:-1]
            continue
        here = os.path.join(dest, *done, c)
        if os.path.islink(here):
            hops += 1
            assert hops < 40, "symlink loop"
            target = os.readlink(here)
            if target.startswith("/"):
                done = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        if not os.path.isdir(here):
            os.makedirs(here)
        done.append(c)
    return os.path.join(dest, *done, parts[0])


def unpack(layout, tag, dest):
    _, manifest = find(layout, tag)
    os.makedirs(dest, exist_ok=True)
    for desc in manifest["layers"]:
        with layer_tar(layout, desc) as t:
            for m in t.getmembers():
                name = os.path.normpath(m.name).lstrip("/")
                if name in (".", "") or name.startswith(".."):
                    continue
                base = os.path.basename(name)
                if base == ".wh..wh..opq":
                    d = in_root(dest, os.path.dirname(name) + "/x")[:-2]
                    for c in os.listdir(d):
                        remove(os.path.join(d, c))
                    continue
                if base.startswith(".wh."):
                    remove(in_root(dest, os.path.join(os.path.dirname(name), base[4:])))
                    continue
                target = in_root(dest, name)
                if m.isdir() and os.path.isdir(target) and not os.path.islink(target):
                    os.chmod(target, m.mode)
                    continue
                remove(target)
                if m.isdir():
                    os.mkdir(target, m.mode)
                elif m.issym():
                    os.symlink(m.linkname, target)
                elif m.islnk():
                    os.link(in_root(dest, m.linkname), target)
                elif m.isfile():
                    with open(target, "wb") as f:
                        f.write(t.extractfile(m).read())
                    os.chmod(target, m.mode)


def index(layout, newtag, pairs):
    entries = []
    for pair in pairs:
        tag, arch = pair.split("=")
        digest, manifest = find(layout, tag)
        size = len(blob(layout, digest))
        entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest,
                        "size": size, "platform": {"os": "linux", "architecture": arch}})
    data = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": entries}).encode()
    idx = json.load(open(f"{layout}/index.json"))
    idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                             "digest": put_blob(layout, data), "size": len(data),
                             "annotations": {"org.opencontainers.image.ref.name": newtag}})
    with open(f"{layout}/index.json", "w") as f:
        json.dump(idx, f)


def show(layout, tag):
    digest, manifest = find(layout, tag)
    config = json.loads(blob(layout, manifest["config"]["digest"]))
    layers = []
    for desc in manifest["layers"]:
        with layer_tar(layout, desc) as t:
            layers.append([desc["mediaType"], [m.name for m in t.getmembers()]])
    print(json.dumps({"manifest_digest": digest, "config": config, "layers": layers}))


if __name__ == "__main__":
    cmd, rest = sys.argv[1], sys.argv[2:]
    if cmd == "make":
        make(rest[0], rest[1], rest[2:])
    elif cmd == "index":
        index(rest[0], rest[1], rest[2:])
    elif cmd == "unpack":
        unpack(*rest)
    elif cmd == "show":
        show(*rest)
    else:
        sys.exit(__doc__)
