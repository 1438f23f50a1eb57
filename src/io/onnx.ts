import protobuf from 'protobufjs/light.js';

/**
 * A minimal ONNX model writer: a graph of nodes with float32 initializers, one float32 input and one
 * output, encoded as an ONNX ModelProto by protobufjs from a JSON descriptor of only the fields used. The
 * field numbers are those of onnx/onnx.proto (IR version 7 and later; github.com/onnx/onnx, onnx/onnx.proto):
 *   ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8
 *   OperatorSetIdProto: domain 1, version 2
 *   GraphProto: node 1, name 2, initializer 5, input 11, output 12
 *   NodeProto: input 1, output 2, name 3, op_type 4, attribute 5
 *   AttributeProto: name 1, i 3, ints 8, type 20 (AttributeType INT = 2, INTS = 7)
 *   TensorProto: dims 1, data_type 2 (FLOAT = 1), name 8, raw_data 9 (little-endian)
 *   ValueInfoProto: name 1, type 2; TypeProto: tensor_type 1; TypeProto.Tensor: elem_type 1, shape 2
 *   TensorShapeProto: dim 1; TensorShapeProto.Dimension: dim_value 1, dim_param 2
 */
const ONNX_DESCRIPTOR = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
          },
        },
        OperatorSetIdProto: {
          fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            i: { type: 'int64', id: 3 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
          },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        TypeProto: { fields: { tensorType: { type: 'TensorTypeProto', id: 1 } } },
        TensorTypeProto: {
          fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } },
        },
        TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
        Dimension: {
          fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } },
        },
      },
    },
  },
};

const FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

/** A node's attributes: integers and integer lists (all the network needs). */
export type OnnxAttributes = Record<string, number | number[]>;

export interface OnnxNode {
  op: string;
  inputs: string[];
  output: string;
  attributes?: OnnxAttributes;
}

/** A graph value's shape: a number per fixed dimension, a name for a symbolic one (the batch). */
export type OnnxShape = (number | string)[];

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: { name: string; dims: number[]; data: Float32Array }[];
  input: { name: string; shape: OnnxShape };
  output: { name: string; shape: OnnxShape };
}

/** ONNX's default operator set version the graph's ops are written for. */
export const ONNX_OPSET = 13;

const valueInfo = ({ name, shape }: { name: string; shape: OnnxShape }) => ({
  name,
  type: {
    tensorType: {
      elemType: FLOAT,
      shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

const attribute = (name: string, v: number | number[]) =>
  typeof v === 'number' ? { name, type: ATTR_INT, i: v } : { name, type: ATTR_INTS, ints: v };

/** The ModelProto bytes of `graph` (float32 initializers as raw little-endian data). */
export function encodeOnnx(graph: OnnxGraph, producer = 'nectar-loss'): Uint8Array {
  const root = protobuf.Root.fromJSON(ONNX_DESCRIPTOR);
  const Model = root.lookupType('onnx.ModelProto');
  const message = {
    irVersion: 7,
    producerName: producer,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: 'graph',
      node: graph.nodes.map((n, k) => ({
        input: n.inputs,
        output: [n.output],
        name: `${n.op}_${k}`,
        opType: n.op,
        attribute: Object.entries(n.attributes ?? {}).map(([a, v]) => attribute(a, v)),
      })),
      initializer: graph.initializers.map((t) => ({
        name: t.name,
        dims: t.dims,
        dataType: FLOAT,
        rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      })),
      input: [valueInfo(graph.input)],
      output: [valueInfo(graph.output)],
    },
  };
  return Model.encode(message).finish();
}
