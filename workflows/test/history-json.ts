/**
 * Temporal histories as JSON files, in the format of `temporal workflow show --output json` and the
 * SDK's historyToJSON/historyFromJSON (protobuf's canonical JSON).
 *
 * Why not the SDK's own functions: in this install @temporalio/common and @temporalio/proto each carry
 * their own copy of protobufjs 8 (the top-level one is 7), and the SDK's historyToJSON/historyFromJSON
 * hand a type built by proto's copy to common's copy, which refuses it ("type must be a Type"). The
 * same conversion with proto's own copy works. Worker.runReplayHistory also calls historyFromJSON for
 * JSON input, so the replay test passes the decoded History instead.
 */
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

type History = proto.temporal.api.history.v1.IHistory;
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- protojson is resolved from proto's own copy of protobufjs (see above), which only require() can name
const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [require.resolve('@temporalio/proto')] })) as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

export function historyToJson(history: History): string {
  return JSON.stringify(protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 2);
}

export function historyFromJson(json: unknown): History {
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History | null;
  if (!history?.events?.length) throw new TypeError('not a Temporal history: expected {"events": [...]}');
  return history;
}
