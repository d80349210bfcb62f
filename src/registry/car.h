// CAR v1 (Content Addressable aRchive): writing from the store, reading with verification.
//
// Format: varint(len) + dag-cbor header {"roots": [CID...], "version": 1}, then sections
// varint(len) + binary CID + block bytes. We write the canonical dag-cbor header ourselves (map
// keys in length-then-bytes order, CIDs as tag 42 byte strings with the 0x00 prefix) and the DAG
// depth-first pre-order. The reader is strict and bounded: header at most 64 KiB, at most 64
// roots, sections at most kMaxBlockSize + 64 bytes, every block hashed and compared with its CID
// (a wrong block is a kCorrupt error naming the CID), only CIDv1 sha2-256 (raw and dag-pb are
// what the importer makes; other codecs are read but not imported). ImportCar then needs every
// block under every root to be present (a missing one is a NotFound error naming it) and
// materializes the DAGs into the store; blocks that no root reaches are ignored.
// Thread-safety: functions are reentrant; the Store handles its own locking.
#ifndef LT_REGISTRY_CAR_H_
#define LT_REGISTRY_CAR_H_

#include <functional>
#include <vector>

#include "registry/cid.h"
#include "registry/store.h"
#include "util/result.h"

namespace lt::registry {

using ByteWriter = std::function<Status(ByteSpan)>;

Bytes EncodeCarHeader(const std::vector<Cid>& roots);
// The roots of a dag-cbor CAR v1 header (the bytes after the length varint).
Result<std::vector<Cid>> DecodeCarHeader(ByteSpan header);

// Writes the DAG under `root` from the store as a CAR v1 with that single root.
Status WriteCar(Store& store, const Cid& root, const ByteWriter& out);
// Writes a CAR v1 with `roots` in the header and `blocks` (read from the store) in that order.
Status WriteCarBlocks(Store& store, const std::vector<Cid>& roots, const std::vector<Cid>& blocks,
                      const ByteWriter& out);

// A source of bytes: Read fills up to n bytes and returns how many (0 at the end).
class ByteReader {
 public:
  virtual ~ByteReader() = default;
  virtual Result<size_t> Read(uint8_t* buf, size_t n) = 0;
};

// Parses a CAR from `in`: on_header(roots) once, then on_block(cid, bytes, offset of the bytes
// within the CAR) for each verified block.
Status ReadCar(ByteReader& in, const std::function<Status(const std::vector<Cid>&)>& on_header,
               const std::function<Status(const Cid&, ByteSpan, uint64_t)>& on_block);

// Reads the CAR file at `path`, verifies it and stores every DAG under its roots; returns the roots.
Result<std::vector<Cid>> ImportCar(Store& store, const std::string& path);

}  // namespace lt::registry

#endif  // LT_REGISTRY_CAR_H_
