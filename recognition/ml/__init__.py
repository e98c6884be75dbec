"""Pure machine-learning code: networks, tf.data inputs, scores and thresholds, the LFW
protocol, figures. Nothing here reads the database or Django's settings: functions take
arrays, file paths and plain values, so they can be read, tested and benchmarked alone.
TensorFlow, Keras and Matplotlib are imported inside the functions that need them.
"""
