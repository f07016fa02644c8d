#!/usr/bin/env bash
# Checks an electronic licence with the stock openssl and the published seal certificates only,
# exactly as docs/licences.md describes ("Check a licence yourself").
#   bash scripts/verify_licence_openssl.sh LICENCE.json SEALS.json
# LICENCE.json: the licence document (GET /api/v1/licences/{identifier} → .document, or
# `yiwang licence export`); SEALS.json: GET /api/v1/seals. Exit 0 when the chain and signature hold.
set -euo pipefail
licence=$1 seals=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$licence" "$seals" "$work" <<'PY'
import base64, json, sys
licence, seals, work = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
# 1. The canonical bytes, rebuilt from the fields (format YIWANG-LICENCE/1).
def esc(v): return v.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
h = licence["holder"]
fields = [("identifier", licence["identifier"]), ("typeCode", licence["typeCode"]), ("name", licence["name"]),
          ("number", licence["number"]), ("holderName", h["name"]), ("holderCode", h["code"]),
          ("holderCodeType", h["codeType"]), ("issuerName", licence["issuerName"]), ("issuerCode", licence["issuerCode"]),
          ("issuedOn", licence["issuedOn"]), ("validFrom", licence["validFrom"]), ("validUntil", licence.get("validUntil") or ""),
          ("previous", licence.get("previous") or "")]
face = []
for f in licence["face"]:
    face += ["face." + esc(f["key"]) + ".label=" + esc(f["label"]), "face." + esc(f["key"]) + "=" + esc(f["value"])]
lines = ["YIWANG-LICENCE/1"] + [k + "=" + esc(v) for k, v in fields] + face
open(f"{work}/licence.txt", "wb").write(("\n".join(lines) + "\n").encode("utf-8"))
open(f"{work}/licence.sig", "wb").write(base64.b64decode(licence["signature"]))
# 2. The seal that signed it (by key id) and the city root.
seal = next(s for s in seals if s["keyID"] == licence["keyID"] and s["role"] == "seal")
open(f"{work}/seal.pem", "w").write(seal["certificate"])
open(f"{work}/root.pem", "w").write("".join(s["certificate"] for s in seals if s["role"] == "root"))
open(f"{work}/issuer", "w").write(licence["issuerCode"])
PY
openssl verify -CAfile "$work/root.pem" -vfyopt distid:1234567812345678 "$work/seal.pem" >/dev/null
# The seal is the issuing department's: its certificate names the credit code the licence names.
owner=$(openssl x509 -in "$work/seal.pem" -noout -subject -nameopt sep_multiline,utf8,-esc_msb,sname | sed -n 's/^ *serialNumber=//p')
test "$owner" = "$(cat "$work/issuer")" || { echo "the seal belongs to $owner, not to the issuer the licence names"; exit 1; }
openssl x509 -in "$work/seal.pem" -pubkey -noout -out "$work/seal.pub"
openssl dgst -sm3 -verify "$work/seal.pub" -sigopt distid:1234567812345678 -signature "$work/licence.sig" "$work/licence.txt"
