import { referenceBackend } from "../shared/kernels/reference";
import { describeCodecContract } from "./codecs.contract";
import { wasmBackend } from "./index";
import { describeAccumulatorContract } from "./kernels.contract";

describeAccumulatorContract(referenceBackend);
describeAccumulatorContract(wasmBackend);
describeCodecContract(referenceBackend);
describeCodecContract(wasmBackend);
